"""Benchmark the CLV model fitting at scale: lifetimes (what scv.clv uses) vs pymc-marketing.

Synthesizes buy-till-you-die transactions for N customers (a BG/NBD purchase process with the CDNOW
parameters, Gamma-Gamma spend, first purchases spread over 12 weeks, 78 weeks observed), then fits
each library in its own subprocess and prints wall time and the subprocess's peak RSS (JSON too).

    .venv/bin/python scripts/bench_clv.py --customers 1000000 --library lifetimes
    .venv/bin/python scripts/bench_clv.py --customers 100000 --library pymc \
        --pymc-python /path/to/venv-with-pymc-marketing/bin/python

pymc-marketing is not a dependency of the project (it was not chosen); point --pymc-python at an
environment that has it (pip install pymc-marketing==0.19.2 "pandas<3").
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-01-01")
OBSERVED_DAYS = 546  # 78 weeks


def synthesize(customers: int, seed: int = 1) -> pd.DataFrame:
    """Transactions (customer_id, ordered_at, amount) from a BG/NBD process with the CDNOW parameters."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414 * 7, 0.793, 2.426  # alpha in days (4.414 weeks)
    p, q, v = 6.25, 3.74, 15.44
    lam = rng.gamma(r, 1 / alpha, customers)
    drop = rng.beta(a, b, customers)
    spend_scale = rng.gamma(q, 1 / v, customers)  # nu
    birth = rng.integers(0, 84, customers).astype(float)
    ids = np.arange(customers)
    rows_id, rows_t = [ids], [birth]
    t = birth.copy()
    alive = np.ones(customers, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1 / np.maximum(lam[idx], 1e-12))
        bought = idx[t[idx] < OBSERVED_DAYS]
        rows_id.append(bought)
        rows_t.append(t[bought])
        alive[:] = False
        alive[bought] = rng.random(len(bought)) >= drop[bought]  # after each purchase: drop out with p
    cid = np.concatenate(rows_id)
    day = np.floor(np.concatenate(rows_t)).astype("int64")
    amount = rng.gamma(p, 1 / spend_scale[cid])
    return pd.DataFrame({
        "customer_id": pd.Series(cid).map("c{:07d}".format),
        "ordered_at": START + pd.to_timedelta(day, unit="D"),
        "amount": np.round(amount, 2),
    })


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_lifetimes(path: Path, time_unit: str) -> dict:
    from scv import clv

    out: dict = {"library": "lifetimes"}
    transactions = pd.read_parquet(path)
    t0 = time.perf_counter()
    daily = clv.daily_transactions(transactions)
    as_of = pd.Timestamp(daily["order_date"].max()).date()
    summary = clv.summarize(daily, as_of, time_unit)
    out["summary_seconds"] = time.perf_counter() - t0
    out["customers"] = len(summary)
    out["distinct_frequency_recency_T"] = int(summary[["frequency", "recency", "T"]].drop_duplicates().shape[0])
    for name in clv.TRANSACTION_MODELS:
        cpu = time.process_time()
        fit = clv.fit_transaction_model(name, summary)
        out[f"{name}_fit_seconds"] = fit.fit_seconds
        out[f"{name}_fit_cpu_seconds"] = time.process_time() - cpu
        out[f"{name}_params"] = fit.params
    t0, cpu = time.perf_counter(), time.process_time()
    raw = clv.make_fitter("bg_nbd")
    raw.fit(summary["frequency"], summary["recency"], summary["T"])
    out["bg_nbd_uncompressed_fit_seconds"] = time.perf_counter() - t0
    out["bg_nbd_uncompressed_fit_cpu_seconds"] = time.process_time() - cpu
    out["bg_nbd_uncompressed_params"] = {k: float(v) for k, v in raw.params_.items()}
    spend = clv.fit_spend_model(summary)
    assert spend is not None
    out["gamma_gamma_fit_seconds"] = spend.fit_seconds
    out["gamma_gamma_params"] = spend.params
    t0, cpu = time.perf_counter(), time.process_time()
    fit_table = clv.fit_models(transactions, clv.ClvConfig(time_unit=time_unit))
    out["fit_models_seconds"] = time.perf_counter() - t0
    out["fit_models_cpu_seconds"] = time.process_time() - cpu
    t0 = time.perf_counter()
    segments = pd.DataFrame({"segment": ["all"], "priority": [1], "r_min": [1], "r_max": [5], "f_min": [1],
                             "f_max": [5]})
    tiers = pd.DataFrame({"tier": ["all"], "min_percentile": [0.0]})
    clv.predict(transactions, fit_table, clv.ClvConfig(time_unit=time_unit), segments, tiers)
    out["predict_seconds"] = time.perf_counter() - t0
    out["process_cpu_seconds"] = time.process_time()
    out["peak_rss_mib"] = _peak_rss_mib()
    return out


def run_pymc(path: Path, time_unit: str) -> dict:
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel

    out: dict = {"library": "pymc-marketing"}
    transactions = pd.read_parquet(path)
    t0 = time.perf_counter()
    unit = {"day": 1.0, "week": 7.0}[time_unit]
    daily = transactions.assign(order_date=transactions["ordered_at"].dt.normalize()).groupby(
        ["customer_id", "order_date"], as_index=False)["amount"].sum()
    g = daily.groupby("customer_id")
    first, last, n = g["order_date"].min(), g["order_date"].max(), g["order_date"].size()
    end = daily["order_date"].max()
    total, first_amount = g["amount"].sum(), daily[daily["order_date"].eq(daily["customer_id"].map(first))].groupby(
        "customer_id")["amount"].sum()
    summary = pd.DataFrame({
        "customer_id": np.arange(len(first)),
        "frequency": (n - 1).to_numpy(),
        "recency": ((last - first).dt.days / unit).to_numpy(),
        "T": ((end - first).dt.days / unit).to_numpy(),
        "monetary_value": ((total - first_amount) / (n - 1).where(n > 1)).fillna(0).to_numpy(),
    })
    out["summary_seconds"] = time.perf_counter() - t0
    out["customers"] = len(summary)
    for key, cls in (("bg_nbd", BetaGeoModel), ("pareto_nbd", ParetoNBDModel)):
        t0, cpu = time.perf_counter(), time.process_time()
        model = cls(data=summary[["customer_id", "frequency", "recency", "T"]])
        model.fit(method="map")
        out[f"{key}_fit_seconds"] = time.perf_counter() - t0
        out[f"{key}_fit_cpu_seconds"] = time.process_time() - cpu
        out[f"{key}_params"] = {k: float(v) for k, v in model.fit_summary().to_dict().items()} \
            if hasattr(model.fit_summary(), "to_dict") else str(model.fit_summary())
    repeat = summary.loc[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    t0 = time.perf_counter()
    gg = GammaGammaModel(data=repeat[["customer_id", "frequency", "monetary_value"]])
    gg.fit(method="map")
    out["gamma_gamma_fit_seconds"] = time.perf_counter() - t0
    out["process_cpu_seconds"] = time.process_time()
    out["peak_rss_mib"] = _peak_rss_mib()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--library", choices=["lifetimes", "pymc"], action="append")
    parser.add_argument("--time-unit", default="week", choices=["day", "week"])
    parser.add_argument("--pymc-python", default=sys.executable, help="a Python that has pymc-marketing")
    parser.add_argument("--workdir", default="/tmp/bench_clv")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--timeout", type=float, default=None, help="give up on a library after this many seconds")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run one library on a parquet file
    args = parser.parse_args()
    if args.worker:
        library, path = args.worker.split(":", 1)
        result = (run_lifetimes if library == "lifetimes" else run_pymc)(Path(path), args.time_unit)
        print("RESULT " + json.dumps(result))
        return
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"transactions_{args.customers}.parquet"
    t0 = time.perf_counter()
    if not path.exists():
        synthesize(args.customers).to_parquet(path)
    print(f"transactions for {args.customers:,} customers ready in {time.perf_counter() - t0:.1f} s: {path}")
    results = []
    for library in args.library or ["lifetimes"]:
        python = args.pymc_python if library == "pymc" else sys.executable
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([python, __file__, "--worker", f"{library}:{path}", "--time-unit", args.time_unit],
                                  capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"{library}: no result within {args.timeout:.0f} s at {args.customers:,} customers")
            results.append({"library": library, "customers": args.customers, "timed_out_after_seconds": args.timeout})
            continue
        wall = time.perf_counter() - t0
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(proc.stdout[-3000:], proc.stderr[-3000:])
            raise SystemExit(f"{library} failed")
        result = json.loads(line[len("RESULT "):])
        result["process_wall_seconds"] = wall
        results.append(result)
        print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
