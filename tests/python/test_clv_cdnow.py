"""CDNOW through the landing contract and dbt reproduces the BG/NBD paper (Fader, Hardie & Lee 2005).

The sample ships inside `lifetimes`; it lands as shop customers and paid shop orders
(scv.benchmarks.cdnow), every other table empty. Only the models the CLV marts depend on are
built, with calibration end 1997-09-30 and weekly units. The figures are read from the published
clv_model_fit, as a user of the warehouse would.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from scv import clv
from scv.benchmarks.cdnow import write_cdnow_landing
from support import run_dbt

pytestmark = pytest.mark.dbt

PAPER_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PAPER_PARETO_NBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PAPER_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
ACTUAL_REPEAT_AT_WEEK_78 = 4339


@pytest.fixture(scope="module")
def cdnow_warehouse(tmp_path_factory):
    landing = tmp_path_factory.mktemp("cdnow") / "landing"
    counts = write_cdnow_landing(landing)
    assert counts == {"shop/customers": 2357, "shop/orders": 6919}
    warehouse = landing.parent / "cdnow.duckdb"
    result = run_dbt(
        ["build", "-s", "+customer_clv", "+clv_model_fit", "--indirect-selection", "cautious",
         "--exclude", "test_name:reconciles_with_landing"],
        landing, warehouse, extra_vars='{clv_calibration_end: "1997-09-30", clv_time_unit: week}')
    assert result.ok, result.output[-4000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _params(con, model: str, window: str = "calibration") -> dict[str, float]:
    rows = con.execute("select parameter, parameter_value from clv_model_fit where model_name = ? and fit_window = ?",
                       [model, window]).fetchall()
    return dict(rows)


@pytest.mark.parametrize(("model", "paper"), [("bg_nbd", PAPER_BG_NBD), ("gamma_gamma", PAPER_GAMMA_GAMMA),
                                              ("pareto_nbd", PAPER_PARETO_NBD)])
def test_parameters_match_the_paper(cdnow_warehouse, model, paper):
    fitted = _params(cdnow_warehouse, model)
    for name, value in paper.items():
        assert fitted[name] == pytest.approx(value, rel=0.005), (model, name, fitted)


def test_fit_sample_and_log_likelihood(cdnow_warehouse):
    rows = dict(((m, n), (ll, cnt)) for m, n, ll, cnt in cdnow_warehouse.execute(
        "select distinct model_name, fit_window, log_likelihood, n_customers from clv_model_fit").fetchall())
    assert rows[("bg_nbd", "calibration")][0] == pytest.approx(-9582.4, abs=0.1)
    assert rows[("pareto_nbd", "calibration")][0] == pytest.approx(-9595.0, abs=0.1)
    assert rows[("bg_nbd", "calibration")][1] == 2357
    assert rows[("gamma_gamma", "calibration")][1] == 946  # the paper's repeat buyers


def test_holdout_tracking_at_week_78(cdnow_warehouse):
    figures = {m: (actual, predicted, corr, chosen) for m, actual, predicted, corr, chosen in cdnow_warehouse.execute(
        "select distinct model_name, cumulative_actual_repeat_purchases, cumulative_predicted_repeat_purchases, "
        "holdout_correlation, is_chosen from clv_model_fit where fit_window = 'calibration' "
        "and model_name in ('bg_nbd', 'pareto_nbd')").fetchall()}
    for model, (actual, predicted, _corr, _chosen) in figures.items():
        assert actual == ACTUAL_REPEAT_AT_WEEK_78
        assert predicted == pytest.approx(ACTUAL_REPEAT_AT_WEEK_78, rel=0.04), model
    # the paper: BG/NBD 4,166, Pareto/NBD 4,275; individual correlations 0.626 and 0.630
    assert figures["bg_nbd"][1] == pytest.approx(4166, abs=2)
    assert figures["pareto_nbd"][1] == pytest.approx(4275, abs=2)
    assert figures["bg_nbd"][2] == pytest.approx(0.626, abs=0.002)
    assert figures["pareto_nbd"][2] == pytest.approx(0.630, abs=0.002)
    chosen = [m for m, f in figures.items() if f[3]]
    assert len(chosen) == 1


def test_settings_are_recorded(cdnow_warehouse):
    rows = cdnow_warehouse.execute(
        "select distinct time_unit, horizon_months, margin, monthly_discount_rate, calibration_end, as_of_date, "
        "chosen_by from clv_model_fit").fetchall()
    assert rows == [("week", 12, 1.0, 0.01, pd.Timestamp("1997-09-30").date(), pd.Timestamp("1998-06-30").date(),
                     "holdout_rmse")]
    assert cdnow_warehouse.execute("select distinct time_unit, as_of_date from customer_clv").fetchall() == [
        ("week", pd.Timestamp("1998-06-30").date())]


def test_predictions_are_sane_and_follow_the_published_model(cdnow_warehouse):
    con = cdnow_warehouse
    clv_rows = con.execute("select * from customer_clv").df()
    assert len(clv_rows) == 2357 and clv_rows["customer_id"].is_unique
    assert clv_rows["probability_alive"].between(0, 1).all()
    for column in ("expected_purchases_90d", "expected_purchases_365d", "expected_spend_per_order",
                   "predicted_clv_12m"):
        assert (clv_rows[column].astype(float) >= 0).all(), column
    assert (clv_rows["expected_purchases_365d"] >= clv_rows["expected_purchases_90d"]).all()
    model = clv_rows["clv_model"].iloc[0]
    chosen = con.execute("select distinct model_name from clv_model_fit where is_chosen and model_name != "
                         "'gamma_gamma'").fetchall()
    assert chosen == [(model,)]
    # every customer's p_alive is the published model's formula on its own (x, t_x, T)
    summary = clv_rows.rename(columns={"btyd_frequency": "frequency", "btyd_recency": "recency", "btyd_t": "T"})
    expected = clv.probability_alive(model, _params(con, model, "full"), summary)
    assert np.allclose(clv_rows["probability_alive"], expected, atol=1e-9)
    # a customer with no repeat purchase behaves as the model says
    one_timers = clv_rows.loc[clv_rows["btyd_frequency"] == 0].sort_values("btyd_t")
    assert len(one_timers) > 500
    if model == "bg_nbd":  # BG/NBD: no repeat purchase, no chance to drop out yet
        assert (one_timers["probability_alive"] == 1).all()
    else:  # Pareto/NBD: the longer the silence, the less likely alive
        assert (one_timers["probability_alive"] < 1).all()
        assert one_timers["probability_alive"].is_monotonic_decreasing
