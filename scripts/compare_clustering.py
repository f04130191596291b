"""Guardrailed clustering vs plain connected components on a built warehouse, against truth.

    .venv/bin/python scripts/compare_clustering.py --warehouse warehouse.duckdb --landing data/landing

Reads the identity records and both edge sets from the warehouse (read-only), clusters them three
ways (guardrails as configured; connected components over the same accepted-probability edges;
connected components over every stored fuzzy edge), and prints pairwise precision / recall / F1
of each with scv.evaluation, on all records and without orders placed from a shop account (as
`scv evaluate` reports them). Writes JSON with --json. A measurement, not a test.

    --thresholds 0.99,0.995,0.999   the guardrails at each merge threshold instead (how
                                    identity_fuzzy_min_probability was chosen: docs/measurements.md)
"""

from __future__ import annotations

import argparse
import json
import time

import duckdb
import pandas as pd

from scv.clustering import Guardrails, cluster
from scv.evaluation import account_orders, evaluate_frames, pairwise_without


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--landing", required=True)
    parser.add_argument("--json")
    parser.add_argument("--thresholds", help="comma-separated merge thresholds: compare the guardrails at each")
    args = parser.parse_args()
    con = duckdb.connect(args.warehouse, read_only=True)
    records = con.execute("select * from int_identity__records").df()
    exact = con.execute("select * from int_identity__exact_edges").df()
    fuzzy = con.execute("select * from int_identity__fuzzy_edges").df()
    limits = con.execute("select * from identifier_limits").df()
    truth = duckdb.execute(f"select * from '{args.landing}/_truth/records.parquet'").df()
    default = Guardrails.from_seed(limits).fuzzy_min_probability
    if args.thresholds:
        variants = {f"guardrails (p >= {t})": Guardrails.from_seed(limits, fuzzy_min_probability=float(t))
                    for t in args.thresholds.split(",")}
    else:
        variants = {
            f"guardrails (p >= {default})": Guardrails.from_seed(limits),
            f"connected components (p >= {default})": Guardrails(enabled=False, fuzzy_min_probability=default),
            "connected components (p >= 0.5)": Guardrails(enabled=False, fuzzy_min_probability=0.5),
        }
    records["account_order"] = account_orders(records)
    results = {}
    for name, guardrails in variants.items():
        started = time.perf_counter()
        assignments, _ = cluster(records, exact, fuzzy, guardrails)
        seconds = time.perf_counter() - started
        pred = records[["record_key", "source_system", "source_table", "source_record_id", "account_order"]].merge(
            assignments[["record_key", "cluster_key"]], on="record_key").rename(columns={"cluster_key": "customer_id"})
        everything = evaluate_frames(pred, truth)
        without_web = evaluate_frames(pred[pred.source_system != "web"], truth[truth.source != "web"])
        identified = pred[pred.source_system != "web"]
        decided = pairwise_without(identified, truth, identified.account_order)
        results[name] = {"seconds": round(seconds, 2), "all": everything["pairwise"],
                         "without_web_visitors": without_web["pairwise"],
                         "without_account_orders": decided,
                         "over_merged_customers": everything["clusters"]["over_merged_customers"],
                         "largest_customer": int(pred.groupby("customer_id").size().max())}
        p, w, d = everything["pairwise"], without_web["pairwise"], decided
        print(f"{name:<36} P {p['precision']:.5f} R {p['recall']:.5f} F1 {p['f1']:.5f} | without web visitors "
              f"P {w['precision']:.5f} R {w['recall']:.5f} | and without account orders P {d['precision']:.5f} "
              f"R {d['recall']:.5f} | over-merged {results[name]['over_merged_customers']} "
              f"largest {results[name]['largest_customer']} | {seconds:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=float)


if __name__ == "__main__":
    pd.set_option("future.no_silent_downcasting", True)
    main()
