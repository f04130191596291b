"""FEBRL3 / FEBRL4 through the whole warehouse, against a default Splink model on the same records.

    .venv/bin/python scripts/bench_febrl_warehouse.py --out /tmp/febrl_wh            # both datasets
    .venv/bin/python scripts/bench_febrl_warehouse.py --dataset febrl4 --vars '{identity_fuzzy_min_probability: 0.9}'

For each dataset: write it through the landing contract (`scv febrl`: crm/contacts, and for
FEBRL4 loyalty/members as the second file; no social security number), `dbt build` the identity
models (`+customer_identity_map`) into a scratch warehouse with the vars given (default:
scv.benchmarks.febrl.WAREHOUSE_VARS; --vars replaces them for every dataset run),
score `customer_identity_map` with `scv evaluate` (cluster-implied pairwise precision / recall /
F1), and, in the same process, Splink's documented FEBRL example model without the SSN
(scripts/bench_linking.py) clustered by connected components at p >= 0.5, plus both wall times.
A measurement, not a test: prints the figures and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_linking  # noqa: E402

from scv.benchmarks.febrl import WAREHOUSE_VARS, write_febrl_landing  # noqa: E402
from scv.evaluation import evaluate_warehouse  # noqa: E402



def build(landing: Path, warehouse: Path, dbt_vars: str) -> float:
    env = {**os.environ, "SCV_LANDING_PATH": str(landing), "SCV_WAREHOUSE": str(warehouse),
           "DBT_PROFILES_DIR": str(ROOT)}
    if warehouse.exists():
        warehouse.unlink()
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--select", "+customer_identity_map", "--indirect-selection", "cautious",
                    "--vars", dbt_vars, "--target-path", str(warehouse.parent / "target")],
                   cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


#: FEBRL columns the landing contract cannot carry for each side (loyalty/members has a postcode
#: but no street or suburb): the reference sees the records as the warehouse does
NOT_IN_CONTRACT = {"febrl3": {"febrl3": ()},
                   "febrl4": {"a": (), "b": ("street_number", "address_1", "address_2", "suburb", "state")}}


def reference(name: str) -> tuple[dict, float]:
    records, _pairs, raw = bench_linking.load_febrl(name)
    raw = {side: frame.assign(**{c: None for c in NOT_IN_CONTRACT[name][side]}) for side, frame in raw.items()}
    started = time.perf_counter()
    edges, _train, _predict = bench_linking.splink_reference(name, raw)
    seconds = time.perf_counter() - started
    clusters = records["record_key"].str.extract(r"^(rec-\d+)")[0]
    scores = bench_linking.cluster_scores(records["record_key"], clusters, edges, thresholds=(0.5,))["0.5"]
    return scores, seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", choices=("febrl3", "febrl4"), action="append")
    ap.add_argument("--out", type=Path, default=Path("/tmp/febrl_wh"))
    ap.add_argument("--vars", help="dbt --vars for the build (YAML; default: the dataset's WAREHOUSE_VARS)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    results = {}
    for name in args.dataset or ["febrl3", "febrl4"]:
        landing = args.out / name / "landing"
        write_febrl_landing(name, landing)
        dbt_vars = args.vars or WAREHOUSE_VARS[name]
        seconds = build(landing, args.out / name / "warehouse.duckdb", dbt_vars)
        ours = evaluate_warehouse(args.out / name / "warehouse.duckdb", landing)["pairwise"]
        ref, ref_seconds = reference(name)
        results[name] = {"vars": dbt_vars, "warehouse": ours, "warehouse_build_seconds": round(seconds, 1),
                         "splink_reference_cc_0.5": ref, "reference_seconds": round(ref_seconds, 1)}
        print(f"[{name}] warehouse ({dbt_vars}): P {ours['precision']:.5f} R {ours['recall']:.5f} "
              f"F1 {ours['f1']:.5f}  (dbt build of the identity models {seconds:.0f} s)")
        print(f"[{name}] default Splink model, connected components p>=0.5: P {ref['precision']:.5f} "
              f"R {ref['recall']:.5f} F1 {ref['f1']:.5f}  ({ref_seconds:.1f} s train + predict)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
