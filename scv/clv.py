"""Customer lifetime value: buy-till-you-die models over a customer's orders (see the `clv` doc block).

Small pure functions over pandas frames, called by the thin dbt Python models
``int_clv__model_fit`` and ``int_clv__predictions``:

1. ``daily_transactions`` merges same-day purchases (one purchase occasion per customer and day).
2. ``summarize`` turns them into the BTYD summary per customer, as of an observation end:
   ``frequency`` (repeat purchase days), ``recency`` (t_x: first to last purchase, NOT the RFM
   recency), ``T`` (first purchase to the observation end) in the chosen time unit (day or week),
   and ``monetary_value`` (mean value of the repeat purchase days, the Gamma-Gamma input).
3. ``fit_models`` fits BG/NBD and Pareto/NBD (lifetimes) on the calibration window, scores them on
   the holdout when there is one (else by log-likelihood), refits on everything up to the as-of
   date, fits Gamma-Gamma for spend, and returns one long table: model x parameter x fit window.
4. ``predict`` rebuilds the chosen model from that published table (so the published parameters are
   exactly what produced the predictions) and returns p_alive, expected purchases, expected spend,
   12-month CLV, RFM scores and segments, lifecycle stage and CLV tier per customer.

The library choice (lifetimes over pymc-marketing) was measured at 1M customers:
``scripts/bench_clv.py`` and docs/measurements.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

TIME_UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0}
TRANSACTION_MODELS: tuple[str, ...] = ("bg_nbd", "pareto_nbd")
SPEND_MODEL = "gamma_gamma"
MODEL_PARAMETERS: dict[str, tuple[str, ...]] = {
    "bg_nbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "gamma_gamma": ("p", "q", "v"),
}
LIFECYCLE_STAGES: tuple[str, ...] = ("prospect", "new", "active", "at_risk", "lapsed")
# Below these sample sizes no model is fitted (customer_clv then has history, RFM and lifecycle only).
MIN_CUSTOMERS_TO_FIT = 20
MIN_REPEAT_BUYERS_TO_FIT = 5


@dataclass(frozen=True)
class ClvConfig:
    """The business controls (dbt vars `clv_*`, see dbt_project.yml)."""

    as_of: date | None = None  # None: the latest order date
    calibration_end: date | None = None  # None: no backtest, the model is chosen by log-likelihood
    time_unit: str = "week"
    horizon_months: int = 12
    margin: float = 1.0  # share of net revenue that is profit
    monthly_discount_rate: float = 0.01
    days_per_month: float = 30.0
    new_customer_days: int = 90  # lifecycle: first order at most this many days ago -> new
    active_days: int = 180  # last order at most this many days ago -> active
    at_risk_days: int = 365  # last order at most this many days ago -> at risk, else lapsed
    at_risk_below_p_alive: float = 0.5  # a recent customer the model thinks is probably gone is at risk
    rfm_bins: int = 5

    def __post_init__(self) -> None:
        if self.time_unit not in TIME_UNIT_DAYS:
            raise ValueError(f"time unit must be one of {sorted(TIME_UNIT_DAYS)}, got {self.time_unit!r}")
        if self.as_of is not None and self.calibration_end is not None and self.calibration_end >= self.as_of:
            raise ValueError("calibration_end must be before the as-of date")

    @property
    def unit_days(self) -> float:
        return TIME_UNIT_DAYS[self.time_unit]


# ---------------------------------------------------------------------------------------------------
# 1-2. transactions -> BTYD summary
# ---------------------------------------------------------------------------------------------------


def daily_transactions(transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and purchase day (same-day orders merged, amounts summed).

    Input columns: customer_id, ordered_at (timestamp or date), amount (reporting currency).
    """
    frame = transactions.loc[transactions["customer_id"].notna(), ["customer_id", "ordered_at", "amount"]]
    out = (
        frame.assign(
            customer_id=frame["customer_id"].astype(str),
            order_date=pd.to_datetime(frame["ordered_at"]).dt.normalize(),
            amount=pd.to_numeric(frame["amount"], errors="coerce").astype("float64").fillna(0.0),
        )
        .groupby(["customer_id", "order_date"], as_index=False, sort=True)
        .agg(amount=("amount", "sum"), orders=("amount", "size"))
    )
    out["order_date"] = out["order_date"].astype("datetime64[ns]")
    return out


def summarize(daily: pd.DataFrame, observation_end: date, time_unit: str) -> pd.DataFrame:
    """BTYD summary per customer from purchase days up to and including ``observation_end``.

    frequency = purchase days - 1; recency = t_x (first to last purchase day); T = first purchase
    day to observation_end; both in ``time_unit``. monetary_value = mean amount of the repeat purchase
    days (0 without repeats). Customers whose first purchase is after observation_end are absent.
    """
    unit = TIME_UNIT_DAYS[time_unit]
    end = pd.Timestamp(observation_end)
    window = daily.loc[daily["order_date"] <= end]
    columns = ["customer_id", "frequency", "recency", "T", "monetary_value", "first_order_date",
               "last_order_date", "purchase_days", "total_amount"]
    if window.empty:
        return _typed_summary(pd.DataFrame(columns=columns))
    grouped = window.groupby("customer_id", sort=True)
    first = grouped["order_date"].min()
    last = grouped["order_date"].max()
    days = grouped["order_date"].size()
    total = grouped["amount"].sum()
    first_amount = window.loc[window["order_date"].eq(window["customer_id"].map(first)), ["customer_id", "amount"]]
    first_amount = first_amount.groupby("customer_id")["amount"].sum()
    frequency = days - 1
    repeat_total = total - first_amount.reindex(total.index)
    monetary = (repeat_total / frequency.where(frequency > 0)).fillna(0.0)
    summary = pd.DataFrame({
        "customer_id": first.index.astype(str),
        "frequency": frequency.to_numpy(),
        "recency": ((last - first).dt.days / unit).to_numpy(),
        "T": ((end - first).dt.days / unit).to_numpy(),
        "monetary_value": monetary.to_numpy(),
        "first_order_date": first.to_numpy(),
        "last_order_date": last.to_numpy(),
        "purchase_days": days.to_numpy(),
        "total_amount": total.to_numpy(),
    })
    return _typed_summary(summary)


def _typed_summary(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({
        "customer_id": "object", "frequency": "int64", "recency": "float64", "T": "float64",
        "monetary_value": "float64", "first_order_date": "datetime64[ns]", "last_order_date": "datetime64[ns]",
        "purchase_days": "int64", "total_amount": "float64",
    }).reset_index(drop=True)


def repeat_purchases_between(daily: pd.DataFrame, customers: pd.Series, start: date, end: date) -> pd.Series:
    """Purchase days of each customer in (start, end] (the holdout), indexed like ``customers``."""
    window = daily.loc[(daily["order_date"] > pd.Timestamp(start)) & (daily["order_date"] <= pd.Timestamp(end))]
    counts = window.groupby("customer_id").size()
    return customers.map(counts).fillna(0).astype("int64")


# ---------------------------------------------------------------------------------------------------
# 3. fitting
# ---------------------------------------------------------------------------------------------------


@dataclass
class FittedModel:
    name: str
    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    fit_seconds: float
    metrics: dict[str, float] = field(default_factory=dict)


def _compressed(summary: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Identical (frequency, recency, T) rows collapse into one row with a weight: same likelihood, far fewer rows."""
    return summary.groupby(columns, as_index=False, sort=False).size().rename(columns={"size": "weight"})


def make_fitter(name: str, params: dict[str, float] | None = None) -> Any:
    """A lifetimes fitter for ``name``; with ``params`` it is rebuilt from published parameters, ready to predict."""
    import lifetimes  # imported here: it is slow to import and only this module needs it

    fitters = {
        "bg_nbd": lifetimes.BetaGeoFitter,
        "pareto_nbd": lifetimes.ParetoNBDFitter,
        "gamma_gamma": lifetimes.GammaGammaFitter,
    }
    fitter = fitters[name](penalizer_coef=0.0)
    if params is not None:
        fitter.params_ = pd.Series({p: float(params[p]) for p in MODEL_PARAMETERS[name]})
    return fitter


def log_likelihood(name: str, params: dict[str, float], summary: pd.DataFrame) -> float:
    """Total log-likelihood of the summary under the model (the papers' figure, in the summary's time unit)."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    values = [float(params[p]) for p in MODEL_PARAMETERS[name]]
    if name == "bg_nbd":
        x, tx, t = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        weights = np.ones_like(x)
        return float(-BetaGeoFitter._negative_log_likelihood(np.log(values), x, tx, t, weights, 0.0) * len(x))
    if name == "pareto_nbd":
        x, tx, t = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        return float(ParetoNBDFitter._conditional_log_likelihood(values, x, tx, t).sum())
    x, m = summary["frequency"].to_numpy(dtype=float), summary["monetary_value"].to_numpy(dtype=float)
    weights = np.ones_like(x)
    return float(-GammaGammaFitter._negative_log_likelihood(np.log(values), x, m, weights, 0.0) * len(x))


# Log-parameter box of the Nelder-Mead fits: exp(-20) .. exp(12) (162,755). A parameter that runs to the
# box edge is at a flat optimum at infinity (see _nelder_mead_fit) and predicts like the limit.
LOG_PARAMETER_BOUNDS = (-20.0, 12.0)
# A fit on more than twice this many customers starts from a fit on a sample of this many (fixed
# seed), then converges on all of them: the published parameters are the full-data maximum.
WARM_START_CUSTOMERS = 50_000


def _likelihood_args(name: str, rows: pd.DataFrame) -> tuple[Any, float]:
    """(arguments of lifetimes' negative log-likelihood, time scale) for the compressed ``rows``.

    Time is scaled so the longest T is 10 units, as lifetimes does (``alpha``, ``beta`` are divided
    back by the scale)."""
    weights = rows["weight"].to_numpy(dtype=float)
    if name == "gamma_gamma":
        return (rows["frequency"].to_numpy(dtype=float), rows["monetary_value"].to_numpy(dtype=float), weights,
                0.0), 1.0
    scale = 10.0 / float(rows["T"].max())
    return (rows["frequency"].to_numpy(dtype=float), rows["recency"].to_numpy(dtype=float) * scale,
            rows["T"].to_numpy(dtype=float) * scale, weights, 0.0), scale


def _objective(name: str) -> Any:
    """Mean negative log-likelihood per customer as a function of the log-parameters."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    if name == "bg_nbd":
        return BetaGeoFitter._negative_log_likelihood  # already log-parameters and a mean
    if name == "gamma_gamma":
        return GammaGammaFitter._negative_log_likelihood

    def pareto(log_params: np.ndarray, x: np.ndarray, tx: np.ndarray, t: np.ndarray, weights: np.ndarray,
               penalizer: float) -> float:
        # lifetimes' Pareto/NBD likelihood takes the parameters themselves and a sum over rows / mean weight
        return float(ParetoNBDFitter._negative_log_likelihood(np.exp(log_params), x, tx, t, weights, penalizer)
                     / weights.sum() * weights.mean())

    return pareto


def _nelder_mead(name: str, args: tuple[Any, ...], start: np.ndarray) -> Any:
    from scipy.optimize import minimize

    options: dict[str, Any] = {"maxiter": 20000, "xatol": 1e-6, "fatol": 1e-10}
    result = minimize(_objective(name), start, args=args, method="Nelder-Mead",
                      bounds=[LOG_PARAMETER_BOUNDS] * len(start), options=options)
    if not np.isfinite(result.fun):
        raise RuntimeError(f"{name}: the likelihood could not be maximised")
    return result


def _published(name: str, log_params: np.ndarray, scale: float) -> dict[str, float]:
    params = dict(zip(MODEL_PARAMETERS[name], np.exp(log_params).tolist()))
    for rate in ("alpha", "beta"):  # Pareto/NBD, BG/NBD: gamma scales of rates per scaled unit -> per unit
        if name != "gamma_gamma" and rate in params:
            params[rate] /= scale
    return params


def _nelder_mead_fit(name: str, rows: pd.DataFrame) -> dict[str, float]:
    """Maximum likelihood with Nelder-Mead over the log-parameters, inside LOG_PARAMETER_BOUNDS.

    lifetimes' BFGS gives up ("precision loss") when the optimum lies at infinity, e.g. BG/NBD a, b -> inf
    with a/(a+b) fixed: every customer shares one dropout probability. The likelihood there is flat, so
    the point Nelder-Mead stops at predicts like the limit; it is published as found. The box keeps
    the search finite: unbounded, it walked along that ridge for 20,000 iterations (18 minutes on the
    1M-person world, 275,702 distinct (x, t_x, T) rows), bounded it stops after about 400.

    Above twice WARM_START_CUSTOMERS it first converges on the sample (see _customer_sample), then
    from there on all rows. On the 1M-person world BG/NBD took 380 evaluations on all rows instead
    of 841; the whole BG/NBD fit, lifetimes' attempt included, took 16.9 s instead of 27.9 s
    (medians, alternating in one script), at a total log-likelihood 0.001 higher.
    """
    args, scale = _likelihood_args(name, rows)
    start = np.full(len(MODEL_PARAMETERS[name]), 0.1)
    sample_args = _customer_sample(args)
    if sample_args is not None:
        start = _nelder_mead(name, sample_args, start).x
    return _published(name, _nelder_mead(name, args, start).x, scale)


def _customer_sample(args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The likelihood arguments (data arrays..., weights, penalizer) of WARM_START_CUSTOMERS customers
    drawn without replacement with a fixed seed (so builds repeat); None for at most twice as many."""
    weights = np.asarray(args[-2]).astype(np.int64)
    if weights.sum() <= 2 * WARM_START_CUSTOMERS:
        return None
    drawn = np.random.default_rng(0).multivariate_hypergeometric(weights, WARM_START_CUSTOMERS)
    keep = drawn > 0
    return (*(np.asarray(column)[keep] for column in args[:-2]), drawn[keep].astype(float), args[-1])


def _quasi_newton(name: str, args: tuple[Any, ...], start: np.ndarray) -> Any:
    """L-BFGS-B over the log-parameters inside LOG_PARAMETER_BOUNDS (finite-difference gradient)."""
    from scipy.optimize import minimize

    result = minimize(_objective(name), start, args=args, method="L-BFGS-B",
                      bounds=[LOG_PARAMETER_BOUNDS] * len(start), options={"ftol": 1e-14, "gtol": 1e-9})
    if not np.isfinite(result.fun):
        raise RuntimeError(f"{name}: the likelihood could not be maximised")
    return result


def _pareto_nbd_fit(rows: pd.DataFrame) -> dict[str, float]:
    """Pareto/NBD maximum likelihood over the log-parameters, from r = alpha = s = beta = 1 (scaled
    time), as lifetimes starts it, but bounded and in log space.

    Each likelihood evaluation costs a hypergeometric function per distinct row (0.16-0.2 s for
    275,662 rows on the 1M-person world). Up to 2 x WARM_START_CUSTOMERS customers, Nelder-Mead
    finds the maximum (about 800 evaluations from the cold start). With more customers, L-BFGS-B
    first converges on the sample (see _customer_sample), then from there on all rows. On the
    1M-person world it needed 155 evaluations on all rows, where Nelder-Mead from the sample's
    optimum needed 291: the whole fit took 30.4 s instead of 64.0 s (medians, alternating in one
    script). The parameters are within 4e-5 (relative) of Nelder-Mead's, and the total
    log-likelihood (-5,587,029.8) is 3e-7 lower. The tight ftol matters: at lifetimes-like
    tolerances L-BFGS-B stopped early on the flat s / beta ridge, 1e-3 away.
    """
    args, scale = _likelihood_args("pareto_nbd", rows)
    sample_args = _customer_sample(args)
    if sample_args is None:
        return _published("pareto_nbd", _nelder_mead("pareto_nbd", args, np.zeros(4)).x, scale)
    start = _quasi_newton("pareto_nbd", sample_args, np.zeros(4)).x
    return _published("pareto_nbd", _quasi_newton("pareto_nbd", args, start).x, scale)


def _bg_nbd_on_the_edge(z: np.ndarray, *args: Any) -> float:
    """BG/NBD's objective on the ridge a, b -> infinity: z = (log r, log alpha, logit p), where
    p = a / (a + b) is the one dropout probability every customer shares, and the larger of a, b sits
    at the box edge (LOG_PARAMETER_BOUNDS)."""
    return float(_objective("bg_nbd")(_edge_log_params(z), *args))


def _edge_log_params(z: np.ndarray) -> np.ndarray:
    edge = LOG_PARAMETER_BOUNDS[1]
    log_odds = float(z[2])   # log(a / b)
    return np.array([z[0], z[1], edge + min(log_odds, 0.0), edge - max(log_odds, 0.0)])


def _bg_nbd_fit(rows: pd.DataFrame) -> dict[str, float]:
    """BG/NBD maximum likelihood when lifetimes' BFGS gives up, which it does when the maximum lies at
    infinity (a, b -> inf with a / (a + b) fixed: every customer shares one dropout probability).

    Two L-BFGS-B fits over the log-parameters, the better one published: inside the box (from a
    sample's optimum above twice WARM_START_CUSTOMERS, as for Pareto/NBD), and on that ridge, with
    the larger of a, b at the box edge and r, alpha and p = a / (a + b) free. Nelder-Mead over all
    four parameters (the previous fallback) crawled along the ridge: on the 100k-person world
    (60,403 customers, 35,997 distinct rows) it stopped at its 20,000-iteration limit after 232 s;
    this fit took 3.3 s, at a total log-likelihood 0.017 lower (of 556,367). On the 1M-person world
    (595,426 customers) 8.4 s against 7.4-8.1 s, 0.027 lower (of 5,585,602).
    """
    from scipy.optimize import minimize

    args, scale = _likelihood_args("bg_nbd", rows)
    start = np.full(4, 0.1)
    sample_args = _customer_sample(args)
    if sample_args is not None:
        start = _quasi_newton("bg_nbd", sample_args, start).x
    inside = _quasi_newton("bg_nbd", args, start)
    edge = minimize(_bg_nbd_on_the_edge, np.array([inside.x[0], inside.x[1], inside.x[2] - inside.x[3]]),
                    args=args, method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-9})
    best = _edge_log_params(edge.x) if np.isfinite(edge.fun) and edge.fun < inside.fun else inside.x
    return _published("bg_nbd", best, scale)


_STDOUT_LOCK = threading.Lock()


def _fit_params(name: str, rows: pd.DataFrame) -> dict[str, float]:
    if name == "pareto_nbd":
        return _pareto_nbd_fit(rows)
    from lifetimes.utils import ConvergenceError

    fitter = make_fitter(name)
    quiet = io.StringIO()
    try:
        # lifetimes prints the optimizer's output when it gives up. sys.stdout is process-wide, so two
        # fits (threads of fit_models) must not swap it at once: each could restore the other's buffer.
        with _STDOUT_LOCK, contextlib.redirect_stdout(quiet):
            _fit_lifetimes(fitter, name, rows)
    except ConvergenceError:
        return _bg_nbd_fit(rows) if name == "bg_nbd" else _nelder_mead_fit(name, rows)
    return {p: float(fitter.params_[p]) for p in MODEL_PARAMETERS[name]}


def _fit_lifetimes(fitter: Any, name: str, rows: pd.DataFrame) -> None:
    if name == "bg_nbd":
        fitter.fit(rows["frequency"], rows["recency"], rows["T"], weights=rows["weight"])
    else:
        fitter.fit(rows["frequency"], rows["monetary_value"], weights=rows["weight"])


def fit_transaction_model(name: str, summary: pd.DataFrame) -> FittedModel:
    """Fit BG/NBD or Pareto/NBD by maximum likelihood on the (compressed) summary."""
    started = time.perf_counter()
    rows = _compressed(summary, ["frequency", "recency", "T"])
    params = _fit_params(name, rows)
    return FittedModel(name, params, log_likelihood(name, params, summary), len(summary),
                       time.perf_counter() - started)


def spend_sample(summary: pd.DataFrame) -> pd.DataFrame:
    """The Gamma-Gamma sample: repeat buyers with a positive mean repeat spend."""
    return summary.loc[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]


def fit_spend_model(summary: pd.DataFrame) -> FittedModel | None:
    """Gamma-Gamma on the repeat buyers; None when there are too few to fit."""
    sample = spend_sample(summary)
    if len(sample) < 10:
        return None
    started = time.perf_counter()
    rows = _compressed(sample, ["frequency", "monetary_value"])
    params = _fit_params(SPEND_MODEL, rows)
    return FittedModel(SPEND_MODEL, params, log_likelihood(SPEND_MODEL, params, sample), len(sample),
                       time.perf_counter() - started)


def expected_purchases(name: str, params: dict[str, float], summary: pd.DataFrame, t: float) -> np.ndarray:
    """E[purchases in the next t units | the customer's history] under the model."""
    if len(summary) == 0:
        return np.zeros(0)
    fitter = make_fitter(name, params)
    out = fitter.conditional_expected_number_of_purchases_up_to_time(
        t, summary["frequency"].to_numpy(dtype=float), summary["recency"].to_numpy(dtype=float),
        summary["T"].to_numpy(dtype=float))
    return np.clip(np.asarray(out, dtype=float), 0.0, None)


def probability_alive(name: str, params: dict[str, float], summary: pd.DataFrame) -> np.ndarray:
    if len(summary) == 0:
        return np.zeros(0)
    fitter = make_fitter(name, params)
    out = fitter.conditional_probability_alive(
        summary["frequency"].to_numpy(dtype=float), summary["recency"].to_numpy(dtype=float),
        summary["T"].to_numpy(dtype=float))
    return np.clip(np.asarray(out, dtype=float), 0.0, 1.0)


def unconditional_expected_purchases(name: str, params: dict[str, float], t: np.ndarray) -> np.ndarray:
    """E[repeat purchases in (0, t]] of a customer just acquired (the tracking-plot curve)."""
    fitter = make_fitter(name, params)
    return np.asarray(fitter.expected_number_of_purchases_up_to_time(np.asarray(t, dtype=float)), dtype=float)


def holdout_metrics(name: str, params: dict[str, float], calibration: pd.DataFrame, daily: pd.DataFrame,
                    calibration_end: date, holdout_end: date, unit_days: float) -> dict[str, float]:
    """Backtest figures of a model fitted on the calibration window, over the holdout (calibration_end, holdout_end].

    - holdout_* : per-customer conditional predictions of the holdout purchases vs actual
      (sum, RMSE, correlation: the paper's individual-level check);
    - cumulative_* : repeat purchases from each customer's first purchase up to holdout_end, actual vs
      the model's unconditional expectation (the paper's tracking plot at its last week).
    """
    holdout_days = (pd.Timestamp(holdout_end) - pd.Timestamp(calibration_end)).days
    horizon = holdout_days / unit_days
    actual = repeat_purchases_between(daily, calibration["customer_id"], calibration_end, holdout_end).to_numpy()
    predicted = expected_purchases(name, params, calibration, horizon)
    # exposure through the END of the holdout's last day (the paper's tracking plot: week 78 ends 1998-06-30)
    since_first = ((pd.Timestamp(holdout_end) - calibration["first_order_date"]).dt.days.to_numpy() + 1) / unit_days
    cumulative_predicted = unconditional_expected_purchases(name, params, since_first).sum()
    cumulative_actual = float(calibration["frequency"].sum() + actual.sum())
    correlation = float(np.corrcoef(actual, predicted)[0, 1]) if len(actual) > 1 and actual.std() > 0 else float("nan")
    return {
        "holdout_periods": float(horizon),
        "holdout_actual_purchases": float(actual.sum()),
        "holdout_predicted_purchases": float(predicted.sum()),
        "holdout_rmse": float(np.sqrt(np.mean((actual - predicted) ** 2))) if len(actual) else float("nan"),
        "holdout_correlation": correlation,
        "cumulative_actual_repeat_purchases": cumulative_actual,
        "cumulative_predicted_repeat_purchases": float(cumulative_predicted),
    }


FIT_COLUMNS: dict[str, str] = {
    "model_name": "object", "fit_window": "object", "parameter": "object", "value": "float64",
    "log_likelihood": "float64", "n_customers": "int64", "fit_seconds": "float64",
    "observation_start": "datetime64[ns]", "observation_end": "datetime64[ns]", "as_of_date": "datetime64[ns]",
    "calibration_end": "datetime64[ns]", "time_unit": "object", "horizon_months": "int64", "margin": "float64",
    "monthly_discount_rate": "float64", "is_chosen": "bool", "chosen_by": "object",
    "holdout_periods": "float64", "holdout_actual_purchases": "float64", "holdout_predicted_purchases": "float64",
    "holdout_rmse": "float64", "holdout_correlation": "float64", "cumulative_actual_repeat_purchases": "float64",
    "cumulative_predicted_repeat_purchases": "float64",
}


def empty_fit_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in FIT_COLUMNS.items()})


def resolve_as_of(daily: pd.DataFrame, config: ClvConfig) -> date | None:
    if config.as_of is not None:
        return config.as_of
    if daily.empty:
        return None
    return pd.Timestamp(daily["order_date"].max()).date()


def choose_model(fits: dict[str, FittedModel], backtested: bool) -> tuple[str, str]:
    """The transaction model to publish: lowest holdout RMSE when backtested, else highest log-likelihood."""
    if backtested:
        scored = {n: f.metrics.get("holdout_rmse", float("nan")) for n, f in fits.items()}
        usable = {n: s for n, s in scored.items() if np.isfinite(s)}
        if usable:
            return min(usable, key=lambda n: (usable[n], n)), "holdout_rmse"
    return max(fits, key=lambda n: (fits[n].log_likelihood, n)), "log_likelihood"


def fit_models(transactions: pd.DataFrame, config: ClvConfig) -> pd.DataFrame:
    """Fit every model and return the published fit table (one row per model x parameter x fit window)."""
    daily = daily_transactions(transactions)
    as_of = resolve_as_of(daily, config)
    if as_of is None:
        return empty_fit_table()
    windows: list[tuple[str, date]] = []
    backtested = config.calibration_end is not None
    if backtested:
        assert config.calibration_end is not None
        windows.append(("calibration", config.calibration_end))
    windows.append(("full", as_of))
    summaries: dict[str, pd.DataFrame] = {}
    for window, end in windows:
        summary = summarize(daily, end, config.time_unit)
        if len(summary) >= MIN_CUSTOMERS_TO_FIT and (summary["frequency"] > 0).sum() >= MIN_REPEAT_BUYERS_TO_FIT:
            summaries[window] = summary
    # The fits are independent and spend their time in numpy and scipy, which release the GIL: one
    # thread per fit, up to the cores. At 1M persons BG/NBD and Pareto/NBD took 90 s one after the
    # other and 66 s side by side on 2 cores, with the same parameters.
    jobs = [(window, name) for window in summaries for name in TRANSACTION_MODELS]
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1))) as pool:
        pending = {job: pool.submit(fit_transaction_model, job[1], summaries[job[0]]) for job in jobs}
    fits: dict[str, dict[str, FittedModel]] = {}
    for window, summary in summaries.items():
        end = dict(windows)[window]
        try:
            fits[window] = {name: pending[(window, name)].result() for name in TRANSACTION_MODELS}
        except (RuntimeError, ValueError, FloatingPointError, np.linalg.LinAlgError):
            continue  # a sample the models cannot describe: publish no fit rather than a wrong one
        if window == "calibration":
            for fit in fits[window].values():
                fit.metrics = holdout_metrics(fit.name, fit.params, summary, daily, end, as_of, config.unit_days)
        spend = fit_spend_model(summary)
        if spend is not None:
            fits[window][SPEND_MODEL] = spend
    if "full" not in fits:
        return empty_fit_table()
    decided_on = fits.get("calibration", fits["full"])
    chosen, chosen_by = choose_model({n: decided_on[n] for n in TRANSACTION_MODELS},
                                     backtested and "calibration" in fits)
    observation_start = daily["order_date"].min()
    rows = []
    for window, models in fits.items():
        end = dict(windows)[window]
        for name, fit in models.items():
            for parameter, value in fit.params.items():
                rows.append({
                    "model_name": name, "fit_window": window, "parameter": parameter, "value": value,
                    "log_likelihood": fit.log_likelihood, "n_customers": fit.n_customers,
                    "fit_seconds": fit.fit_seconds, "observation_start": observation_start,
                    "observation_end": pd.Timestamp(end), "as_of_date": pd.Timestamp(as_of),
                    "calibration_end": pd.Timestamp(config.calibration_end) if backtested else pd.NaT,
                    "time_unit": config.time_unit, "horizon_months": config.horizon_months,
                    "margin": config.margin, "monthly_discount_rate": config.monthly_discount_rate,
                    "is_chosen": name in (chosen, SPEND_MODEL), "chosen_by": chosen_by,
                    **{k: fit.metrics.get(k, np.nan) for k in FIT_COLUMNS if k.startswith(("holdout_", "cumulative_"))},
                })
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS)).astype(FIT_COLUMNS)


def published_params(fit_table: pd.DataFrame, model_name: str, window: str = "full") -> dict[str, float] | None:
    rows = fit_table.loc[(fit_table["model_name"] == model_name) & (fit_table["fit_window"] == window)]
    if rows.empty:
        return None
    return dict(zip(rows["parameter"], rows["value"].astype(float)))


def chosen_model(fit_table: pd.DataFrame) -> str | None:
    rows = fit_table.loc[fit_table["is_chosen"] & fit_table["model_name"].isin(TRANSACTION_MODELS)]
    return None if rows.empty else str(rows["model_name"].iloc[0])


# ---------------------------------------------------------------------------------------------------
# 4. predictions, RFM, lifecycle, tiers
# ---------------------------------------------------------------------------------------------------


def expected_spend_per_order(params: dict[str, float] | None, summary: pd.DataFrame) -> np.ndarray:
    """Gamma-Gamma conditional expected spend per purchase; the population mean without repeat spend.

    Without a spend model (too few repeat buyers) it is the customer's own average purchase-day amount.
    """
    if params is None:
        return (summary["total_amount"] / summary["purchase_days"]).clip(lower=0).to_numpy(dtype=float)
    x = summary["frequency"].to_numpy(dtype=float)
    m = summary["monetary_value"].to_numpy(dtype=float)
    x = np.where(m > 0, x, 0.0)  # no usable repeat spend: the population mean
    p, q, v = params["p"], params["q"], params["v"]
    weight = p * x / (p * x + q - 1)
    return (1 - weight) * (v * p / (q - 1)) + weight * np.where(m > 0, m, 0.0)


def discounted_clv(name: str, params: dict[str, float], summary: pd.DataFrame, spend: np.ndarray,
                   config: ClvConfig) -> np.ndarray:
    """Sum over months m = 1..horizon of E[purchases in month m] x spend x margin / (1 + d)^m."""
    total = np.zeros(len(summary))
    previous = np.zeros(len(summary))
    for month in range(1, config.horizon_months + 1):
        t = month * config.days_per_month / config.unit_days
        upto = expected_purchases(name, params, summary, t)
        total += (upto - previous) * spend * config.margin / (1 + config.monthly_discount_rate) ** month
        previous = upto
    return np.clip(total, 0.0, None)


def rfm_scores(summary: pd.DataFrame, as_of: date, bins: int = 5) -> pd.DataFrame:
    """RFM scores 1..bins by quantile rank (bins = best): recency = days since the last purchase
    (fewer is better; this is RFM recency, not BTYD t_x), frequency = purchase days, monetary = total amount."""
    days_since = (pd.Timestamp(as_of) - summary["last_order_date"]).dt.days

    def score(values: pd.Series, ascending: bool) -> pd.Series:
        if values.empty:
            return pd.Series(dtype="int64")
        ranks = values.rank(method="min", pct=True, ascending=ascending)  # ties share the lowest score
        return np.ceil(ranks * bins).clip(1, bins).astype("int64")

    return pd.DataFrame({
        "days_since_last_order": days_since.astype("int64"),
        "rfm_recency_score": score(-days_since, True),
        "rfm_frequency_score": score(summary["purchase_days"], True),
        "rfm_monetary_score": score(summary["total_amount"], True),
    }, index=summary.index)


def rfm_segment(recency_score: pd.Series, frequency_score: pd.Series, segments: pd.DataFrame) -> pd.Series:
    """Named segment from the seed ``rfm_segments`` (segment, r_min, r_max, f_min, f_max; first match wins)."""
    out = pd.Series(pd.NA, index=recency_score.index, dtype="object")
    for row in segments.sort_values("priority").itertuples(index=False):
        hit = out.isna() & recency_score.between(row.r_min, row.r_max) & frequency_score.between(row.f_min, row.f_max)
        out[hit] = row.segment
    return out


def lifecycle_stage(days_since_first: pd.Series, days_since_last: pd.Series, p_alive: pd.Series,
                    config: ClvConfig) -> pd.Series:
    """new (first order recent), active (last order recent and the model thinks alive), at_risk, lapsed.

    Prospects (customers without a revenue order) never reach this function: the SQL mart labels them.
    """
    stage = np.select(
        [
            days_since_first <= config.new_customer_days,
            (days_since_last <= config.active_days) & (p_alive >= config.at_risk_below_p_alive),
            days_since_last <= config.at_risk_days,
        ],
        ["new", "active", "at_risk"],
        default="lapsed",
    )
    return pd.Series(stage, index=days_since_first.index, dtype="object")


def clv_tier(clv: pd.Series, tiers: pd.DataFrame) -> pd.Series:
    """Tier from the seed ``clv_tiers`` (tier, min_percentile): the highest tier whose percentile floor the
    customer's CLV percentile rank lies above (0.9 = the top 10%)."""
    if clv.empty:
        return pd.Series(dtype="object")
    pct = clv.rank(method="max", pct=True)
    out = pd.Series(pd.NA, index=clv.index, dtype="object")
    for row in tiers.sort_values("min_percentile", ascending=False).itertuples(index=False):
        out[out.isna() & (pct > row.min_percentile)] = row.tier
    return out


PREDICTION_COLUMNS: dict[str, str] = {
    "customer_id": "object", "as_of_date": "datetime64[ns]", "model_name": "object", "time_unit": "object",
    "btyd_frequency": "int64", "btyd_recency": "float64", "btyd_t": "float64",
    "repeat_spend_mean": "float64", "purchase_days": "int64",
    "probability_alive": "float64", "expected_purchases_90d": "float64", "expected_purchases_365d": "float64",
    "expected_spend_per_order": "float64", "predicted_clv_12m": "float64", "clv_tier": "object",
    "days_since_last_order": "int64", "rfm_recency_score": "int64", "rfm_frequency_score": "int64",
    "rfm_monetary_score": "int64", "rfm_segment": "object", "lifecycle_stage": "object",
}


def empty_predictions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in PREDICTION_COLUMNS.items()})


def predict(transactions: pd.DataFrame, fit_table: pd.DataFrame, config: ClvConfig, rfm_segments: pd.DataFrame,
            clv_tiers: pd.DataFrame) -> pd.DataFrame:
    """Per-customer predictions as of the fit's as-of date, from the published chosen model.

    Without a published model (too few customers to fit) the BTYD figures are NULL; history-based RFM
    and lifecycle are still given.
    """
    name = chosen_model(fit_table)
    daily = daily_transactions(transactions)
    as_of = pd.Timestamp(fit_table["as_of_date"].iloc[0]).date() if name else resolve_as_of(daily, config)
    if as_of is None:
        return empty_predictions()
    summary = summarize(daily, as_of, config.time_unit)
    if summary.empty:
        return empty_predictions()
    params = published_params(fit_table, name) if name else None
    spend = expected_spend_per_order(published_params(fit_table, SPEND_MODEL), summary)
    if name is not None and params is not None:
        p_alive = pd.Series(probability_alive(name, params, summary), index=summary.index)
        clv = pd.Series(discounted_clv(name, params, summary, spend, config), index=summary.index)
        purchases_90d = expected_purchases(name, params, summary, 90 / config.unit_days)
        purchases_365d = expected_purchases(name, params, summary, 365 / config.unit_days)
        tier = clv_tier(clv, clv_tiers)
    else:
        p_alive = clv = pd.Series(np.nan, index=summary.index)
        purchases_90d = purchases_365d = np.full(len(summary), np.nan)
        tier = pd.Series(pd.NA, index=summary.index, dtype="object")
    rfm = rfm_scores(summary, as_of, config.rfm_bins)
    days_since_first = (pd.Timestamp(as_of) - summary["first_order_date"]).dt.days
    out = pd.DataFrame({
        "customer_id": summary["customer_id"],
        "as_of_date": pd.Timestamp(as_of),
        "model_name": name,
        "time_unit": config.time_unit,
        "btyd_frequency": summary["frequency"],
        "btyd_recency": summary["recency"],
        "btyd_t": summary["T"],
        "repeat_spend_mean": summary["monetary_value"],
        "purchase_days": summary["purchase_days"],
        "probability_alive": p_alive,
        "expected_purchases_90d": purchases_90d,
        "expected_purchases_365d": purchases_365d,
        "expected_spend_per_order": spend,
        "predicted_clv_12m": clv,
        "clv_tier": tier,
        **rfm,
        "rfm_segment": rfm_segment(rfm["rfm_recency_score"], rfm["rfm_frequency_score"], rfm_segments),
        "lifecycle_stage": lifecycle_stage(days_since_first, rfm["days_since_last_order"], p_alive.fillna(1.0), config),
    })
    return out[list(PREDICTION_COLUMNS)].astype(PREDICTION_COLUMNS)


def _optional_date(value: Any) -> date | None:
    if value is None or str(value).strip().lower() in ("", "none", "null"):
        return None
    return pd.Timestamp(str(value)).date()


def config_from_dbt(settings: dict[str, Any]) -> ClvConfig:
    """ClvConfig from a dbt Python model's config values (the model YAML maps the `clv_*` vars).

    dbt only hands a Python model the config keys it reads literally (``dbt.config.get("key")``), so
    the model spells each key out and passes the values here.
    """
    get = settings.get

    def number(key: str, default: float) -> float:
        value = get(key)
        return default if value is None or str(value).strip().lower() in ("", "none") else float(value)

    return ClvConfig(
        as_of=_optional_date(get("as_of_date")),
        calibration_end=_optional_date(get("calibration_end")),
        time_unit=str(get("time_unit") or "week"),
        horizon_months=int(number("horizon_months", 12)),
        margin=number("margin", 1.0),
        monthly_discount_rate=number("monthly_discount_rate", 0.01),
        new_customer_days=int(number("new_customer_days", 90)),
        active_days=int(number("active_days", 180)),
        at_risk_days=int(number("at_risk_days", 365)),
        at_risk_below_p_alive=number("at_risk_below_p_alive", 0.5),
    )
