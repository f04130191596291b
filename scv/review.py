"""The identity review queue as a worksheet a data steward fills in, and the decisions back into
the `identity_overrides` seed.

    scv review export --warehouse warehouse.duckdb --out review.csv [--with-personal-data]
    (the steward writes must_link / must_not_link in the `decision` column, and a reason)
    scv review apply review.csv --reviewed-by "Jane Doe"      # appends to seeds/identity_overrides.csv
    dbt build                                                   # the pairs merge (or stay apart) and leave the queue

The worksheet holds one row per queued pair (`identity_review_queue`), most probable first: the
two records' sources and ids, the match probability, why the pair did not merge, whether the two
customers share a household (`customer_households`: then a family member is the likelier
mistake), and the comparison weights in words ("name +6.1, email +9.3, address -2.0"). Without
`--with-personal-data` it holds no name, email, phone, birth date or address: the steward looks the
records up in their source systems. With it, both records' values are written beside each other;
the file then holds personal data and must be handled (and deleted) as such.

`apply` reads only the record keys, `decision` and `reason`. Rows without a decision are skipped;
anything else than must_link / must_not_link, a pair decided twice in different ways, or a pair the
seed already decides the other way is an error that names the row, and nothing is written.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

DECISIONS = ("must_link", "must_not_link")
OVERRIDE_COLUMNS = ("record_key_a", "record_key_b", "decision", "reason", "reviewed_by")
#: the records' own values, written side by side only with `with_personal_data`
PERSONAL_COLUMNS = ("first_name", "last_name", "email", "phone", "date_of_birth", "street", "city", "postcode")
#: relative to the project folder, where `scv review` runs (as `--warehouse warehouse.duckdb` is)
DEFAULT_OVERRIDES = Path("seeds") / "identity_overrides.csv"


@dataclass(frozen=True)
class Applied:
    added: int           # new rows appended to the seed
    already: int         # pairs the seed already decided the same way
    undecided: int       # worksheet rows left without a decision


class ReviewError(ValueError):
    """A worksheet or seed that cannot be applied; nothing was written."""


def explain(comparison_weights: str | None) -> str:
    """'{"name": 6.13, "email": 9.3, "address": -2.0}' -> 'email +9.3, name +6.1, address -2.0':
    scv.linking.explain's order (strongest evidence first), in words for a worksheet."""
    if not comparison_weights:
        return ""
    from .linking import explain as weights_of  # imports Splink: only when there is something to explain

    return ", ".join(f"{name} {weight:+.1f}" for name, weight in weights_of(comparison_weights).items())


def _side_by_side(column: str) -> str:
    value = "cast({side}.date_of_birth as date)" if column == "date_of_birth" else "{side}." + column
    return f", {value.format(side='l')} as {column}_l, {value.format(side='r')} as {column}_r"


def export_worksheet(warehouse: str | Path, out: str | Path, with_personal_data: bool = False,
                     limit: int | None = None) -> int:
    """Write the review queue of `warehouse` (opened read-only) to the CSV `out`; returns its rows."""
    if not Path(warehouse).is_file():
        raise FileNotFoundError(f"no warehouse at {warehouse} (build it with dbt build, or pass --warehouse)")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        personal = "".join(_side_by_side(c) for c in PERSONAL_COLUMNS) if with_personal_data else ""
        # the two customers in one household: a family member is likelier (queued pairs at 100k were
        # wrong 3.7% of the time within a household, 2.1% across); NULL when households are not built
        households = con.execute("select count(*) from information_schema.tables "
                                 "where table_name = 'customer_households'").fetchall()[0][0] > 0
        same_household = ("hl.household_id = hr.household_id" if households else "cast(null as boolean)")
        household_joins = ("left join customer_households as hl on hl.customer_id = q.customer_id_l "
                           "left join customer_households as hr on hr.customer_id = q.customer_id_r"
                           if households else "")
        rows = con.execute(f"""
            select
                q.record_key_l, q.record_key_r, round(q.match_probability, 6) as match_probability,
                q.review_reason, q.refused_by, q.customer_id_l, q.customer_id_r, q.comparison_weights,
                l.source_system || '/' || l.source_table as source_l,
                r.source_system || '/' || r.source_table as source_r,
                {same_household} as same_household
                {personal}
            from identity_review_queue as q
            inner join int_identity__records as l on l.record_key = q.record_key_l
            inner join int_identity__records as r on r.record_key = q.record_key_r
            {household_joins}
            order by q.match_probability desc, q.record_key_l, q.record_key_r
            {f'limit {int(limit)}' if limit is not None else ''}
        """).fetchall()
        names = [d[0] for d in con.description]
    except duckdb.CatalogException as exc:
        raise LookupError(f"{warehouse} has no identity review queue (build the project first): {exc}") from exc
    finally:
        con.close()
    header = ["record_key_l", "record_key_r", "match_probability", "review_reason", "refused_by",
              "customer_id_l", "customer_id_r", "source_l", "source_r", "same_household", "evidence"]
    header += [f"{c}_{side}" for c in PERSONAL_COLUMNS for side in ("l", "r")] if with_personal_data else []
    header += ["decision", "reason"]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        for row in rows:
            values = dict(zip(names, row))
            values["evidence"] = explain(values.pop("comparison_weights"))
            writer.writerow({k: ("" if values.get(k) is None else values.get(k)) for k in header})
    return len(rows)


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def apply_worksheet(worksheet: str | Path, reviewed_by: str, overrides: str | Path = DEFAULT_OVERRIDES) -> Applied:
    """Append the worksheet's decided rows to the overrides seed (all or nothing)."""
    if not reviewed_by or not reviewed_by.strip():
        raise ReviewError("name the reviewer (--reviewed-by): every override records who decided it")
    overrides = Path(overrides)
    with open(overrides, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != OVERRIDE_COLUMNS:
            raise ReviewError(f"{overrides}: expected the columns {', '.join(OVERRIDE_COLUMNS)}, "
                              f"found {', '.join(reader.fieldnames or ())}")
        existing = list(reader)
    decided = {_pair(r["record_key_a"], r["record_key_b"]): r["decision"] for r in existing}

    new_rows: list[dict[str, str]] = []
    already = undecided = 0
    in_sheet: dict[tuple[str, str], tuple[str, int]] = {}
    with open(worksheet, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"record_key_l", "record_key_r", "decision"} - set(reader.fieldnames or ())
        if missing:
            raise ReviewError(f"{worksheet}: not a review worksheet (no column {', '.join(sorted(missing))})")
        for line, row in enumerate(reader, start=2):
            decision = (row.get("decision") or "").strip().lower()
            if not decision:
                undecided += 1
                continue
            if decision not in DECISIONS:
                raise ReviewError(f"{worksheet}, line {line}: decision {row['decision']!r} is neither "
                                  f"must_link nor must_not_link")
            a, b = (row.get("record_key_l") or "").strip(), (row.get("record_key_r") or "").strip()
            if not a or not b or a == b:
                raise ReviewError(f"{worksheet}, line {line}: needs two different record keys")
            pair = _pair(a, b)
            if pair in in_sheet and in_sheet[pair][0] != decision:
                raise ReviewError(f"{worksheet}, lines {in_sheet[pair][1]} and {line}: the pair {a} / {b} "
                                  f"is decided both ways")
            in_sheet[pair] = (decision, line)
            if pair in decided:
                if decided[pair] != decision:
                    raise ReviewError(f"{worksheet}, line {line}: {overrides.name} already decides {a} / {b} "
                                      f"as {decided[pair]}; change that row by hand if the review overturns it")
                already += 1
                continue
            reason = (row.get("reason") or "").strip() or (
                f"review queue: {row.get('review_reason') or 'probable link'}"
                + (f" at p={row['match_probability']}" if row.get("match_probability") else ""))
            new_rows.append({"record_key_a": pair[0], "record_key_b": pair[1], "decision": decision,
                             "reason": reason, "reviewed_by": reviewed_by.strip()})
            decided[pair] = decision

    if new_rows:
        # write a complete new file next to the seed, then replace it: never half a seed
        fd, tmp = tempfile.mkstemp(dir=overrides.parent, prefix=".identity_overrides.", suffix=".csv")
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=OVERRIDE_COLUMNS, lineterminator="\n")
                writer.writeheader()
                writer.writerows(existing)
                writer.writerows(new_rows)
            os.replace(tmp, overrides)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return Applied(added=len(new_rows), already=already, undecided=undecided)
