"""dbt overhead on the linking step: the fuzzy-edges dbt model vs the same Splink model run directly.

    SCV_LANDING_PATH=/tmp/w100k .venv/bin/python scripts/bench_identity_overhead.py --warehouse /tmp/w100k.duckdb

On a built warehouse, alternately `--repeats` times:
- direct: a fresh Python process imports scv (Splink), reads `int_identity__records` (with
  `int_identity__first_name_counts`) from the warehouse and scores it with the shipped model (scv.identity.fuzzy_edges, what the dbt model
  calls), timed from its first import to the edges in memory;
- dbt: `dbt run --select int_identity__fuzzy_edges` on the same warehouse with incremental scoring
  off (so it scores every pair too), the node's execution time from run_results.json (reading
  the records, scoring, writing the edges table).
Prints both medians and the ratio (target: within 1.25x). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIRECT = """
import sys, time
t0 = time.perf_counter()
import duckdb
from scv.identity import fuzzy_edges, fuzzy_input_sql
con = duckdb.connect(sys.argv[1], read_only=True)
records = con.sql(fuzzy_input_sql("int_identity__records", "int_identity__first_name_counts")).df()
con.close()
edges = fuzzy_edges(records, threshold=0.5)
print(len(records), len(edges), time.perf_counter() - t0)
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    target = args.warehouse.parent / f"{args.warehouse.stem}_overhead_target"
    env = {**os.environ, "SCV_WAREHOUSE": str(args.warehouse), "DBT_PROFILES_DIR": str(ROOT)}
    direct, via_dbt = [], []
    for _ in range(args.repeats):
        out = subprocess.run([sys.executable, "-c", DIRECT, str(args.warehouse)], check=True,
                             capture_output=True, text=True).stdout.split()
        n_records, n_edges = int(out[0]), int(out[1])
        direct.append(float(out[2]))
        subprocess.run([str(Path(sys.executable).parent / "dbt"), "run", "--quiet", "--select",
                        "int_identity__fuzzy_edges", "--target-path", str(target),
                        # every pair scored, as the direct run does (not only the changed records')
                        "--vars", "{identity_incremental: false}"],
                       cwd=ROOT, env=env, check=True)
        results = json.loads((target / "run_results.json").read_text())["results"]
        via_dbt.append(next(r["execution_time"] for r in results if r["unique_id"].endswith("int_identity__fuzzy_edges")))
    d, b = statistics.median(direct), statistics.median(via_dbt)
    print(f"{n_records:,} identity records, {n_edges:,} edges >= 0.5")
    print(f"direct (import + read + score): median {d:.2f} s  ({', '.join(f'{t:.2f}' for t in direct)})")
    print(f"dbt int_identity__fuzzy_edges:  median {b:.2f} s  ({', '.join(f'{t:.2f}' for t in via_dbt)})")
    print(f"ratio dbt / direct: {b / d:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
