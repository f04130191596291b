"""Per-model build times of a `dbt build`, grouped: staging, identity, customer marts, quality marts.

    .venv/bin/python scripts/model_timings.py --run-results target/run_results.json [--json out.json]

Reads dbt's run_results.json (and the manifest next to it, for each model's path) and prints each
group's summed model time (tests excluded) and its models, slowest first. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

GROUPS = {
    "staging": "models/staging/",
    "identity": "models/intermediate/identity/",
    "orders": "models/intermediate/orders/",
    "customer marts": ("models/intermediate/customer/", "models/marts/customer/customer_360",
                       "models/marts/customer/customer_attribute_provenance",
                       "models/marts/customer/customer_contact_points"),
    "identity marts": ("models/marts/customer/customer_identity_map", "models/marts/customer/customer_id_history",
                       "models/marts/quality/identity_changes"),
    "quality marts": ("models/marts/quality/source_quality", "models/marts/quality/identity_change_summary"),
}


def group_of(path: str) -> str:
    for name, prefixes in GROUPS.items():
        if path.startswith(prefixes):
            return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-results", default="target/run_results.json")
    parser.add_argument("--json")
    args = parser.parse_args()
    results_path = Path(args.run_results)
    results = json.loads(results_path.read_text())
    manifest = json.loads((results_path.parent / "manifest.json").read_text())
    groups: dict[str, list[tuple[str, float]]] = {}
    for result in results["results"]:
        node = manifest["nodes"].get(result["unique_id"])
        if node is None or node["resource_type"] != "model":
            continue
        groups.setdefault(group_of(node["original_file_path"]), []).append((node["name"], result["execution_time"]))
    report = {
        "elapsed_s": round(results["elapsed_time"], 1),
        "groups": {name: {"seconds": round(sum(t for _, t in models), 1),
                          "models": {m: round(t, 2) for m, t in sorted(models, key=lambda x: -x[1])}}
                   for name, models in sorted(groups.items())},
    }
    print(f"dbt build elapsed: {report['elapsed_s']} s")
    for name, group in report["groups"].items():
        models = ", ".join(f"{m} {t}" for m, t in group["models"].items())
        print(f"{name:15s} {group['seconds']:7.1f} s  ({models})")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
