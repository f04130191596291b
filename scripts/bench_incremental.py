"""An incremental day: identity build time after about 1% new records, against a full build.

    .venv/bin/python scripts/bench_incremental.py --landing /tmp/w100k --work /tmp/inc100k [--repeats 2]

The landing folder is "day 1". "Day 0" is the same landing as it was at a cut-off time: every
table loses its rows stamped after the cut-off (order lines follow their orders), and the cut-off
is the time before which 99% of the identity sources' rows (`--new-share`) were created. Then:

1. day 0 is built into a fresh warehouse (`dbt build --select +customer_identity_map`, with the
   tests of those models only: `--indirect-selection cautious`), once;
2. alternately, `--repeats` times:
   - incremental: a copy of the day-0 warehouse builds day 1 (the default vars: the identity
     records keep their match-key history and the fuzzy edges score only changed records);
   - full: a fresh warehouse builds day 1 (everything computed from scratch).

Identity time is the summed execution time of the identity models (models/intermediate/identity
and customer_identity_map). Prints the medians and their ratio (target: incremental under 10% of
full), how many records were new, and how far the incremental result is from the full one: the
fuzzy edges only one of them has, the records whose customer differs, and both warehouses'
accuracy against the truth (`scv evaluate`, without web visitors). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scv.evaluation import evaluate_warehouse  # noqa: E402

#: landing table -> the time its rows are stamped with (the landing contract's columns)
STAMPS = {
    "crm/contacts": "created_at", "shop/customers": "created_at", "shop/orders": "created_at",
    "shop/refunds": "created_at", "pos/transactions": "occurred_at", "loyalty/members": "enrolled_at",
    "web/events": "occurred_at", "email/subscribers": "coalesce(opted_in_at, confirmed_at, unsubscribed_at)",
    "email/events": "occurred_at", "support/tickets": "created_at", "ads/leads": "created_at",
    "consent/events": "occurred_at", "privacy/requests": "received_at",
}
#: the tables whose rows are identity records one to one (the cut-off is a quantile of their stamps)
IDENTITY_TABLES = ("crm/contacts", "shop/customers", "shop/orders", "loyalty/members", "email/subscribers",
                   "support/tickets", "ads/leads")


def _source(landing: Path, table: str) -> str:
    path = landing / f"{table}.parquet"
    return f"read_parquet('{path}/*.parquet')" if path.is_dir() else f"read_parquet('{path}')"


def make_day0(landing: Path, out: Path, new_share: float) -> str:
    """Write `out` as `landing` before the cut-off; returns the cut-off."""
    con = duckdb.connect()
    stamps = " union all ".join(f"select {STAMPS[t]} as t from {_source(landing, t)}" for t in IDENTITY_TABLES)
    cutoff = con.execute(f"select quantile_disc(t, {1 - new_share}) from ({stamps}) where t is not null").fetchone()[0]
    if out.exists():
        shutil.rmtree(out)
    for path in sorted(landing.rglob("*.parquet")):
        rel = path.relative_to(landing)
        if rel.parts[0] == "_truth" or path.parent.suffix == ".parquet":
            continue
        table = f"{rel.parts[0]}/{rel.stem}"
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if table in STAMPS:
            query = f"select * from {_source(landing, table)} where not coalesce({STAMPS[table]} > $cutoff, false)"
        elif table == "shop/order_lines":
            query = (f"select * from {_source(landing, table)} where order_id in (select order_id from "
                     f"{_source(landing, 'shop/orders')} where not coalesce(created_at > $cutoff, false))")
        else:
            query = f"select * from {_source(landing, table)}"
        con.execute(f"copy ({query}) to '{target}' (format parquet)", {"cutoff": cutoff})
    shutil.copytree(landing / "_truth", out / "_truth")
    return str(cutoff)


def build(landing: Path, warehouse: Path, target: Path) -> dict[str, float]:
    """`dbt build --select +customer_identity_map`; returns the identity models' execution times."""
    env = {**os.environ, "SCV_WAREHOUSE": str(warehouse), "SCV_LANDING_PATH": str(landing),
           "DBT_PROFILES_DIR": str(ROOT)}
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--select", "+customer_identity_map", "--indirect-selection", "cautious",
                    "--target-path", str(target)], cwd=ROOT, env=env, check=True)
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results
            if r["unique_id"].startswith("model.") and (".int_identity__" in r["unique_id"]
                                                        or r["unique_id"].endswith(".customer_identity_map"))}


def compare(incremental: Path, full: Path) -> dict[str, int]:
    """Fuzzy edges in only one warehouse, and records whose customer (as a set of records) differs."""
    con = duckdb.connect()
    con.execute(f"attach '{incremental}' as inc (read_only)")
    con.execute(f"attach '{full}' as ful (read_only)")
    only = {}
    for a, b in (("inc", "ful"), ("ful", "inc")):
        only[a] = con.execute(f"""select count(*) from (
            select record_key_l, record_key_r from {a}.int_identity__fuzzy_edges
            except select record_key_l, record_key_r from {b}.int_identity__fuzzy_edges)""").fetchone()[0]
    shifted = con.execute("""
        with shape as (
            select 'inc' as w, record_key, min(record_key) over (partition by customer_id) as first_key,
                   count(*) over (partition by customer_id) as size
            from inc.customer_identity_map
            union all
            select 'ful', record_key, min(record_key) over (partition by customer_id),
                   count(*) over (partition by customer_id)
            from ful.customer_identity_map
        )
        select count(*) from shape as i join shape as f on i.record_key = f.record_key and i.w = 'inc' and f.w = 'ful'
        where i.first_key <> f.first_key or i.size <> f.size
    """).fetchone()[0]
    return {"fuzzy_edges_only_incremental": only["inc"], "fuzzy_edges_only_full": only["ful"],
            "records_whose_customer_differs": shifted}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--landing", type=Path, required=True, help="day 1 (a generated world)")
    ap.add_argument("--work", type=Path, required=True, help="folder for day 0 and the warehouses")
    ap.add_argument("--new-share", type=float, default=0.01)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    day0 = args.work / "day0"
    started = time.perf_counter()
    cutoff = make_day0(args.landing, day0, args.new_share)
    print(f"day 0 = {args.landing} up to {cutoff} ({time.perf_counter() - started:.0f} s to write)")
    base = args.work / "day0.duckdb"
    base.unlink(missing_ok=True)
    day0_times = build(day0, base, args.work / "target_day0")
    print(f"day 0 build, identity models: {sum(day0_times.values()):.1f} s")
    incremental, full = [], []
    inc_wh, full_wh = args.work / "day1_incremental.duckdb", args.work / "day1_full.duckdb"
    for i in range(args.repeats):
        shutil.copy(base, inc_wh)
        times = build(args.landing, inc_wh, args.work / "target_incremental")
        incremental.append(times)
        full_wh.unlink(missing_ok=True)
        times_full = build(args.landing, full_wh, args.work / "target_full")
        full.append(times_full)
        print(f"repeat {i + 1}: incremental {sum(times.values()):.1f} s, full {sum(times_full.values()):.1f} s")
    con = duckdb.connect()
    con.execute(f"attach '{base}' as d0 (read_only)")
    con.execute(f"attach '{inc_wh}' as d1 (read_only)")
    day0_records, day1_records, changed = con.execute("""
        select (select count(*) from d0.int_identity__records), (select count(*) from d1.int_identity__records),
               (select count(*) from d1.int_identity__records
                where match_keys_changed_at > (select max(match_keys_changed_at) from d0.int_identity__records))
    """).fetchone()
    con.close()
    inc_total = statistics.median(sum(t.values()) for t in incremental)
    full_total = statistics.median(sum(t.values()) for t in full)
    print(f"identity records: day 0 {day0_records:,}, day 1 {day1_records:,} "
          f"(+{(day1_records - day0_records) / day0_records:.2%}); new or changed match keys on day 1: {changed:,}")
    print(f"identity time, median of {args.repeats}: incremental {inc_total:.1f} s, full {full_total:.1f} s, "
          f"ratio {inc_total / full_total:.3f} (target < 0.10)")
    for name in sorted(full[0], key=lambda n: -statistics.median(t[n] for t in full)):
        print(f"  {name:36s} incremental {statistics.median(t.get(name, 0.0) for t in incremental):7.2f} s   "
              f"full {statistics.median(t[name] for t in full):7.2f} s")
    print(json.dumps(compare(inc_wh, full_wh)))
    for label, wh in (("incremental", inc_wh), ("full", full_wh)):
        pw = evaluate_warehouse(wh, args.landing, exclude_sources=("web",))["pairwise"]
        print(f"{label:12s} without web: P {pw['precision']:.5f} R {pw['recall']:.5f} F1 {pw['f1']:.5f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
