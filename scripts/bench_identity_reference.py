"""Our identity build against a default Splink model on the same records, in one script.

    .venv/bin/python scripts/bench_identity_reference.py --landing /tmp/w100k --work /tmp/ref100k

1. Builds the identity models (`dbt build --select +customer_identity_map`) into a fresh warehouse
   under --work and reads each identity model's execution time from run_results.json.
2. Runs a default Splink 4 dedupe model, shaped like Splink's documented examples (names, birth
   date, email, phone, postcode and city; estimate lambda from deterministic rules, u by random
   sampling, m by EM on two blocking rules; predict; connected components at p >= 0.5, Splink's
   usual threshold, and at 0.999, ours), on the
   same records: the warehouse's normalized identity records (int_identity__records), so both
   start from the same match keys and only the linking and clustering differ. Web visitors are
   left out of both (they carry no name, email or phone).
3. Scores both against <landing>/_truth with scv.evaluation: pairwise precision / recall, also
   without orders placed from a shop account (as `scv evaluate` does).

The reference's time is training + prediction + clustering; ours is reported whole (every
identity model) and from the records on (without normalizing the source rows, which the
reference is handed already done). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_incremental import build  # noqa: E402

from scv.evaluation import account_orders, evaluate_frames, pairwise_without  # noqa: E402

COLUMNS = ["record_key", "source_system", "source_table", "source_record_id", "first_name_norm", "last_name_norm",
           "date_of_birth", "email_norm", "phone_e164", "postcode_norm", "city_norm"]


def default_splink(records: pd.DataFrame, thresholds: list[float]) -> tuple[dict[float, pd.DataFrame], dict[str, float]]:
    """Cluster ids per record_key from a default Splink model at each threshold; and its train,
    predict and cluster times (clustering at the first threshold)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = records[COLUMNS[:1] + COLUMNS[4:]].copy()
    frame["date_of_birth"] = frame["date_of_birth"].astype("string")
    con = duckdb.connect()
    times: dict[str, float] = {}
    started = time.perf_counter()
    settings = SettingsCreator(
        unique_id_column_name="record_key", link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("first_name_norm", "last_name_norm"), block_on("email_norm"), block_on("phone_e164"),
            block_on("last_name_norm", "date_of_birth"), block_on("first_name_norm", "postcode_norm"),
        ],
        comparisons=[
            cl.NameComparison("first_name_norm").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name_norm").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y-%m-%d",
                                     invalid_dates_as_null=True),
            cl.EmailComparison("email_norm"),
            cl.ExactMatch("phone_e164").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode_norm").configure(term_frequency_adjustments=True),
            cl.ExactMatch("city_norm").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(DuckDBAPI(connection=con).register(frame), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name_norm", "last_name_norm", "date_of_birth"), block_on("email_norm")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email_norm"))
    times["train"] = time.perf_counter() - started
    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=min(thresholds))
    times["predict"] = time.perf_counter() - started
    clusters = {}
    for threshold in thresholds:
        started = time.perf_counter()
        clusters[threshold] = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold).as_pandas_dataframe()[["record_key", "cluster_id"]]
        times.setdefault("cluster", time.perf_counter() - started)
    con.close()
    return {t: c.astype(str) for t, c in clusters.items()}, times


def _scores(pred: pd.DataFrame, truth: pd.DataFrame) -> dict[str, dict]:
    """`pred` carries account_order (scv.evaluation.account_orders) beside the predicted customer."""
    return {"all": evaluate_frames(pred, truth)["pairwise"],
            "without_account_orders": pairwise_without(pred, truth, pred["account_order"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--thresholds", default="0.5,0.999",
                        help="the reference's match thresholds (the first is timed; 0.5 is Splink's usual one)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    warehouse = args.work / "identity.duckdb"
    ours = build(args.landing.resolve(), warehouse, args.work / "target")
    ours_total = sum(ours.values())
    ours_linking = ours_total - ours.get("int_identity__records", 0.0) - ours.get("int_identity__records_unioned", 0.0)

    con = duckdb.connect(str(warehouse), read_only=True)
    records = con.execute(f"select {', '.join(COLUMNS)}, shop_customer_id from int_identity__records "
                          "where source_system <> 'web'").df()
    mapped = con.execute("select record_key, customer_id from customer_identity_map").df()
    con.close()
    truth = duckdb.execute(f"select * from read_parquet('{args.landing / '_truth' / 'records.parquet'}') "
                           "where source <> 'web'").df()
    base = records[["record_key", "source_system", "source_table", "source_record_id"]].assign(
        account_order=account_orders(records))

    thresholds = [float(t) for t in args.thresholds.split(",")]
    reference, times = default_splink(records, thresholds)
    reference_total = sum(times.values())
    results = {
        "records": len(records),
        "ours": {"seconds_identity_models": round(ours_total, 2), "seconds_from_records_on": round(ours_linking, 2),
                 "models": {k: round(v, 2) for k, v in sorted(ours.items(), key=lambda kv: -kv[1])},
                 **_scores(base.merge(mapped, on="record_key"), truth)},
        "reference": {"seconds": round(reference_total, 2), **{f"seconds_{k}": round(v, 2) for k, v in times.items()},
                      "thresholds": {str(t): _scores(base.merge(c.rename(columns={"cluster_id": "customer_id"}),
                                                                on="record_key"), truth)
                                     for t, c in reference.items()}},
    }
    print(f"{len(records):,} identity records (web visitors left out)")
    rows = [("ours", results["ours"])] + [(f"reference, p >= {t}", r) for t, r in
                                          results["reference"]["thresholds"].items()]
    for name, r in rows:
        a, d = r["all"], r["without_account_orders"]
        print(f"{name:<22} P {a['precision']:.5f} R {a['recall']:.5f} | without account orders "
              f"P {d['precision']:.5f} R {d['recall']:.5f}")
    ref = results["reference"]
    print(f"time: ours {ours_total:.1f} s identity models, {ours_linking:.1f} s from the records on; reference "
          f"{ref['seconds']:.1f} s (train {ref['seconds_train']:.1f}, predict {ref['seconds_predict']:.1f}, "
          f"cluster {ref['seconds_cluster']:.1f}); ratio ours from the records on / reference: "
          f"{ours_linking / reference_total:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
