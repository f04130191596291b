"""scv.clv without dbt: the BTYD summary, the models' behaviour, CLV arithmetic, RFM, lifecycle, tiers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scv import clv
from scv.benchmarks.cdnow import load_cdnow_sample

ROOT = Path(__file__).resolve().parents[2]
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def _tx(rows):
    return pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"]).assign(
        ordered_at=lambda f: pd.to_datetime(f["ordered_at"]))


def test_same_day_purchases_merge_and_recency_is_t_x():
    tx = _tx([
        ("a", "2024-01-01 09:00", 10.0), ("a", "2024-01-01 18:00", 5.0),  # one purchase day: 15
        ("a", "2024-01-15 10:00", 20.0), ("a", "2024-01-29 10:00", 40.0),
        ("b", "2024-01-08 10:00", 7.0),
        ("c", "2024-03-01 10:00", 9.0),  # after the observation end: not a customer yet
        (None, "2024-01-02 10:00", 99.0),  # anonymous: ignored
    ])
    daily = clv.daily_transactions(tx)
    assert len(daily) == 5 and daily.loc[daily["customer_id"] == "a", "amount"].iloc[0] == 15.0
    weeks = clv.summarize(daily, date(2024, 2, 12), "week").set_index("customer_id")
    assert list(weeks.index) == ["a", "b"]
    assert weeks.loc["a", "frequency"] == 2
    assert weeks.loc["a", "recency"] == pytest.approx(4.0)  # first to last purchase, not days since last
    assert weeks.loc["a", "T"] == pytest.approx(6.0)
    assert weeks.loc["a", "monetary_value"] == pytest.approx(30.0)  # mean of the repeat days only
    assert (weeks.loc["b", ["frequency", "recency", "monetary_value"]] == 0).all()
    days = clv.summarize(daily, date(2024, 2, 12), "day").set_index("customer_id")
    assert days.loc["a", "recency"] == 28 and days.loc["a", "T"] == 42


def test_cdnow_reproduces_the_papers_without_dbt():
    sample = load_cdnow_sample()
    fit = clv.fit_models(sample, clv.ClvConfig(calibration_end=date(1997, 9, 30), time_unit="week"))
    calibration = fit.loc[fit["fit_window"] == "calibration"]
    got = {(m, p): v for m, p, v in calibration[["model_name", "parameter", "value"]].itertuples(index=False)}
    for name, paper in (("bg_nbd", BG), ("pareto_nbd", PARETO), ("gamma_gamma", GG)):
        for parameter, value in paper.items():
            assert got[(name, parameter)] == pytest.approx(value, rel=0.005)
    assert set(fit["fit_window"]) == {"calibration", "full"}
    assert fit["as_of_date"].iloc[0] == pd.Timestamp("1998-06-30")


def test_no_repeat_purchase_behaves_as_each_model_says():
    one_timers = pd.DataFrame({"frequency": [0, 0, 0], "recency": [0.0, 0.0, 0.0], "T": [5.0, 20.0, 60.0]})
    # BG/NBD: dropout can only happen right after a purchase, so a one-time buyer is surely alive
    assert np.allclose(clv.probability_alive("bg_nbd", BG, one_timers), 1.0)
    # Pareto/NBD: dropout can happen any time, so silence makes it ever less likely
    p = clv.probability_alive("pareto_nbd", PARETO, one_timers)
    assert (np.diff(p) < 0).all() and (p > 0).all() and (p < 1).all()
    # a repeat buyer silent for long is less alive than a recent one (BG/NBD)
    repeat = pd.DataFrame({"frequency": [3, 3], "recency": [30.0, 5.0], "T": [32.0, 32.0]})
    recent, silent = clv.probability_alive("bg_nbd", BG, repeat)
    assert recent > silent


def test_expected_spend_shrinks_towards_the_population_mean():
    summary = pd.DataFrame({"frequency": [0, 1, 50], "monetary_value": [0.0, 100.0, 100.0],
                            "total_amount": [10.0, 200.0, 5000.0], "purchase_days": [1, 2, 51]})
    spend = clv.expected_spend_per_order(GG, summary)
    population = GG["p"] * GG["v"] / (GG["q"] - 1)
    assert spend[0] == pytest.approx(population)
    assert population < spend[1] < spend[2] < 100.0


def test_clv_is_discounted_expected_purchases_times_spend():
    summary = pd.DataFrame({"frequency": [2, 0], "recency": [10.0, 0.0], "T": [20.0, 20.0]})
    spend = np.array([50.0, 30.0])
    plain = clv.ClvConfig(margin=1.0, monthly_discount_rate=0.0, horizon_months=12)
    value = clv.discounted_clv("bg_nbd", BG, summary, spend, plain)
    year = clv.expected_purchases("bg_nbd", BG, summary, 360 / 7)
    assert np.allclose(value, year * spend)
    discounted = clv.discounted_clv("bg_nbd", BG, summary, spend,
                                    clv.ClvConfig(margin=0.4, monthly_discount_rate=0.01))
    assert ((discounted < 0.4 * value) & (discounted > 0.4 * value / 1.01 ** 12)).all()


def test_every_rfm_score_pair_has_a_segment_and_lifecycle_stages():
    seeds = pd.read_csv(ROOT / "seeds" / "rfm_segments.csv")
    grid_r, grid_f = np.meshgrid(range(1, 6), range(1, 6))
    r, f = pd.Series(grid_r.ravel()), pd.Series(grid_f.ravel())
    segments = clv.rfm_segment(r, f, seeds)
    assert segments.notna().all()
    assert segments[(r == 5) & (f == 5)].iloc[0] == "champions"
    assert segments[(r == 1) & (f == 1)].iloc[0] == "hibernating"
    config = clv.ClvConfig()
    stage = clv.lifecycle_stage(pd.Series([30, 400, 400, 400, 400]), pd.Series([30, 10, 10, 300, 500]),
                                pd.Series([0.9, 0.9, 0.2, 0.9, 0.9]), config)
    assert list(stage) == ["new", "active", "at_risk", "at_risk", "lapsed"]


def test_rfm_ties_share_the_lowest_score_and_tiers_follow_the_seed():
    summary = pd.DataFrame({
        "last_order_date": pd.to_datetime(["2024-01-01"] * 6 + ["2024-06-01"] * 4),
        "purchase_days": [1] * 6 + [2, 3, 4, 5],
        "total_amount": np.arange(10, dtype=float),
    })
    scores = clv.rfm_scores(summary, date(2024, 6, 30))
    assert (scores["rfm_frequency_score"].iloc[:6] == 1).all()  # the one-time buyers
    assert scores["rfm_frequency_score"].iloc[-1] == 5
    assert scores["rfm_recency_score"].iloc[-1] > scores["rfm_recency_score"].iloc[0]
    tiers = pd.read_csv(ROOT / "seeds" / "clv_tiers.csv")
    tier = clv.clv_tier(pd.Series(np.arange(10, dtype=float)), tiers)
    assert list(tier) == ["low"] * 4 + ["medium"] * 3 + ["high"] * 2 + ["top"]  # 40/30/20/10%


def test_model_choice_and_config_from_dbt():
    fits = {"bg_nbd": clv.FittedModel("bg_nbd", BG, -10.0, 5, 0.1, {"holdout_rmse": 1.2}),
            "pareto_nbd": clv.FittedModel("pareto_nbd", PARETO, -11.0, 5, 0.1, {"holdout_rmse": 1.1})}
    assert clv.choose_model(fits, backtested=True) == ("pareto_nbd", "holdout_rmse")
    assert clv.choose_model(fits, backtested=False) == ("bg_nbd", "log_likelihood")
    config = clv.config_from_dbt({"as_of_date": "", "calibration_end": "None", "time_unit": "day", "margin": "0.3"})
    assert config.as_of is None and config.calibration_end is None and config.time_unit == "day"
    assert config.margin == 0.3 and config.horizon_months == 12
    with pytest.raises(ValueError):
        clv.ClvConfig(time_unit="month")


def test_empty_input_gives_typed_empty_outputs():
    empty = _tx([])
    fit = clv.fit_models(empty, clv.ClvConfig())
    assert fit.empty and list(fit.columns) == list(clv.FIT_COLUMNS)
    assert str(fit["value"].dtype) == "float64" and str(fit["is_chosen"].dtype) == "bool"
    predictions = clv.predict(empty, fit, clv.ClvConfig(), pd.DataFrame(), pd.DataFrame())
    assert predictions.empty and list(predictions.columns) == list(clv.PREDICTION_COLUMNS)
    assert str(predictions["probability_alive"].dtype) == "float64"


def test_bg_nbd_at_infinity_is_fitted_not_crashed():
    # every customer with the same dropout probability: BG/NBD's a, b run off to infinity and
    # lifetimes' BFGS gives up; the Nelder-Mead fallback still returns a usable fit
    rng = np.random.default_rng(3)
    rows = []
    for i in range(400):
        day, lam = rng.integers(0, 60), rng.gamma(2.0, 1 / 40)
        while day < 700:
            rows.append((f"c{i}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(day)), 10.0 + rng.gamma(4, 5)))
            if rng.random() < 0.1:
                break
            day += max(1, int(rng.exponential(1 / lam)))
    fit = clv.fit_models(_tx(rows), clv.ClvConfig(time_unit="day"))
    assert set(fit["model_name"]) == {"bg_nbd", "pareto_nbd", "gamma_gamma"}
    assert np.isfinite(fit["value"]).all() and np.isfinite(fit["log_likelihood"]).all()


def test_pareto_nbd_warm_start_reaches_the_full_data_maximum(monkeypatch):
    """Above twice WARM_START_CUSTOMERS, L-BFGS-B starts from a sample's optimum; it must end
    at the same maximum as Nelder-Mead's cold start on all customers (CDNOW's 2,357, sample of 500;
    measured: parameters within 4e-6, log-likelihood within 1e-10)."""
    summary = clv.summarize(clv.daily_transactions(load_cdnow_sample()), date(1997, 9, 30), "week")
    cold = clv.fit_transaction_model("pareto_nbd", summary)
    monkeypatch.setattr(clv, "WARM_START_CUSTOMERS", 500)
    warm = clv.fit_transaction_model("pareto_nbd", summary)
    assert warm.log_likelihood == pytest.approx(cold.log_likelihood, abs=1e-6)
    for name, value in cold.params.items():
        assert warm.params[name] == pytest.approx(value, rel=1e-4), name
    assert cold.params["r"] == pytest.approx(PARETO["r"], rel=0.005)


def test_nelder_mead_warm_start_reaches_the_full_data_maximum(monkeypatch):
    """The Nelder-Mead fallback (BG/NBD, Gamma-Gamma when lifetimes' BFGS gives up) starts from a
    sample's optimum above twice WARM_START_CUSTOMERS and must end where the cold start ends
    (CDNOW's 2,357 customers, sample of 500; measured: parameters within 4e-7)."""
    summary = clv.summarize(clv.daily_transactions(load_cdnow_sample()), date(1997, 9, 30), "week")
    rows = clv._compressed(summary, ["frequency", "recency", "T"])
    cold = clv._nelder_mead_fit("bg_nbd", rows)
    monkeypatch.setattr(clv, "WARM_START_CUSTOMERS", 500)
    assert clv._customer_sample(clv._likelihood_args("bg_nbd", rows)[0]) is not None
    warm = clv._nelder_mead_fit("bg_nbd", rows)
    assert clv.log_likelihood("bg_nbd", warm, summary) == pytest.approx(clv.log_likelihood("bg_nbd", cold, summary),
                                                                        abs=1e-6)
    for name, value in cold.items():
        assert warm[name] == pytest.approx(value, rel=1e-5), name
    assert cold["a"] == pytest.approx(BG["a"], rel=0.005)


def test_bg_nbd_fallback_reaches_the_maximum_inside_and_warm(monkeypatch):
    """The BG/NBD fallback (lifetimes' BFGS gave up) on CDNOW, whose maximum is inside the box: the
    published parameters (Fader, Hardie & Lee), and the same from a sample's optimum."""
    summary = clv.summarize(clv.daily_transactions(load_cdnow_sample()), date(1997, 9, 30), "week")
    rows = clv._compressed(summary, ["frequency", "recency", "T"])
    cold = clv._bg_nbd_fit(rows)
    for name, value in BG.items():
        assert cold[name] == pytest.approx(value, rel=0.005), name
    monkeypatch.setattr(clv, "WARM_START_CUSTOMERS", 500)
    warm = clv._bg_nbd_fit(rows)
    assert clv.log_likelihood("bg_nbd", warm, summary) == pytest.approx(clv.log_likelihood("bg_nbd", cold, summary),
                                                                        abs=1e-6)


def test_bg_nbd_fallback_finds_the_maximum_at_infinity():
    """One dropout probability for everybody: the maximum is at a, b -> infinity. The fallback puts
    a + b at the box edge with the likelihood of Nelder-Mead's crawl along the ridge (which took
    20,000 iterations and 232 s on the 100k-person world)."""
    rng = np.random.default_rng(5)
    x = rng.poisson(3, 3000).astype(float)
    t = rng.uniform(20, 60, 3000)
    tx = np.where(x > 0, t * rng.uniform(0.2, 1.0, 3000), 0.0)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": t})
    rows = clv._compressed(summary, ["frequency", "recency", "T"])
    ridge = clv._bg_nbd_fit(rows)
    crawl = clv._nelder_mead_fit("bg_nbd", rows)
    assert max(ridge["a"], ridge["b"]) == pytest.approx(np.exp(clv.LOG_PARAMETER_BOUNDS[1]), rel=1e-6)
    assert clv.log_likelihood("bg_nbd", ridge, summary) >= clv.log_likelihood("bg_nbd", crawl, summary) - 0.05


def test_too_few_customers_publish_no_model_but_keep_history_segments():
    tx = _tx([("a", "2024-01-01", 10.0), ("a", "2024-02-01", 12.0), ("b", "2024-03-01", 8.0)])
    fit = clv.fit_models(tx, clv.ClvConfig())
    assert fit.empty
    seeds = pd.read_csv(ROOT / "seeds" / "rfm_segments.csv")
    tiers = pd.read_csv(ROOT / "seeds" / "clv_tiers.csv")
    predictions = clv.predict(tx, fit, clv.ClvConfig(), seeds, tiers).set_index("customer_id")
    assert predictions["probability_alive"].isna().all() and predictions["clv_tier"].isna().all()
    assert predictions.loc["b", "lifecycle_stage"] == "new" and predictions["rfm_segment"].notna().all()
    assert predictions["as_of_date"].iloc[0] == pd.Timestamp("2024-03-01")
