"""dbt overhead on the linking step: the fuzzy-edges dbt model's time vs the same call run directly.

    .venv/bin/python scripts/bench_identity_overhead.py --warehouse /tmp/w100k.duckdb \
        --run-results /tmp/w100k_target/run_results.json

Reads `int_identity__records` from a built warehouse (read-only), runs scv.identity.fuzzy_edges
(the function the dbt model calls, with the shipped model) on it `--repeats` times in this process,
and prints the median next to the dbt node's execution time from run_results.json, with the ratio
(target: within 1.25x). Also prints every identity model's dbt time. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import duckdb

from scv.identity import fuzzy_edges


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--run-results", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    con = duckdb.connect(str(args.warehouse), read_only=True)
    records = con.execute("select * from int_identity__records").df()
    con.close()
    times, edges = [], None
    for _ in range(args.repeats):
        started = time.perf_counter()
        edges = fuzzy_edges(records, threshold=0.5)
        times.append(time.perf_counter() - started)
    direct = statistics.median(times)
    results = json.loads(args.run_results.read_text())["results"]
    identity = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results
                if r["unique_id"].startswith("model.") and "identity" in r["unique_id"]}
    node = identity.get("int_identity__fuzzy_edges")
    print(f"{len(records):,} identity records, {len(edges):,} edges >= 0.5")
    print(f"direct fuzzy_edges: median {direct:.2f} s of {args.repeats} ({', '.join(f'{t:.2f}' for t in times)})")
    if node:
        print(f"dbt int_identity__fuzzy_edges: {node:.2f} s  ratio dbt/direct {node / direct:.2f}")
    for name, seconds in sorted(identity.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<40} {seconds:6.2f} s")
    print(f"  {'identity models total':<40} {sum(identity.values()):6.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
