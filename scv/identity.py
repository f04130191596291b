"""Identity pipeline glue shared by the dbt Python models (kept here so the models stay thin)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

SIGNAL_COLUMNS = ("first_name_norm", "last_name_norm", "email_norm", "phone_e164", "date_of_birth")

#: values of the dbt var identity_linking_model
LINKING_MODELS = ("shipped", "train")


#: fuzzy_candidates as a SQL filter, for a dbt relation: the warehouse drops the other records
#: before they are copied into Python (at 100k persons most identity records are web visitors)
CANDIDATE_FILTER_SQL = (
    "(" + " or ".join(f"{c} is not null" for c in SIGNAL_COLUMNS) + ")"
    " and not (source_table = 'orders' and shop_customer_id is not null)"
)


def fuzzy_candidates(records: pd.DataFrame) -> pd.DataFrame:
    """The records worth scoring probabilistically.

    Left out: records with no identifying value at all (an anonymous web visitor who never logged
    in has nothing to compare), and orders placed from a shop account (they belong to the account
    deterministically, and scoring every order would multiply the work for no new link).
    """
    present = [c for c in SIGNAL_COLUMNS if c in records.columns]
    has_signal = records[present].notna().any(axis=1)
    account_order = (records["source_table"] == "orders") & records["shop_customer_id"].notna()
    return records[has_signal & ~account_order]


#: the columns of int_identity__records that keep track of a record's match keys across builds
MATCH_KEY_HISTORY_COLUMNS = ("match_keys_hash", "match_keys_changed_at")

#: what the fuzzy edges of int_identity__fuzzy_edges add to the linking engine's columns
SCORING_COLUMNS = ("scored_at", "scored_by")


def match_keys_sql() -> str:
    """SQL for a 64-bit hash per record of everything its probabilistic scores depend on.

    That is the linking engine's input columns (scv.linking.INPUT_COLUMNS: normalized names,
    phonetic codes, birth date, email, phones, places, shop account) and whether its first name is
    an established spelling (only that side of ESTABLISHED_NAME_RECORDS changes a score). Records
    whose hash did not change since their pairs were scored need no new scores. (DuckDB's hash: a
    DuckDB upgrade that changed it would only make the next build score every pair again.)
    """
    from scv.linking import ESTABLISHED_NAME_RECORDS, INPUT_COLUMNS

    columns = [c for c in INPUT_COLUMNS if c != "record_key"]
    return f"hash({', '.join(columns)}, coalesce(first_name_records, 0) >= {ESTABLISHED_NAME_RECORDS})"


def stamp_sql(con, records: str, previous: str | None, build_at: datetime):
    """`records` with match_keys_hash and match_keys_changed_at (when the record's match keys last
    changed), as a relation on `con`.

    `previous` is the last build's relation with record_key, match_keys_hash and
    match_keys_changed_at, or None: a record with the same hash as then keeps its time; a new or
    changed record gets `build_at`, moved past the last build's latest time if the clock says
    otherwise, so "changed after the last scoring" never misses a record.
    """
    at = f"timestamp '{build_at.isoformat(sep=' ')}'"
    if previous is None:
        return con.sql(f"select *, {match_keys_sql()} as match_keys_hash, {at} as match_keys_changed_at from {records}")
    return con.sql(f"""
        with
        hashed as (select *, {match_keys_sql()} as match_keys_hash from {records}),
        previous as (select record_key, match_keys_hash, match_keys_changed_at from {previous}),
        stamp as (
            select greatest({at}, coalesce(max(match_keys_changed_at) + interval 1 microsecond, {at})) as stamped_at
            from previous
        )
        select
            hashed.*,
            case when previous.match_keys_hash = hashed.match_keys_hash and previous.match_keys_changed_at is not null
                then previous.match_keys_changed_at else (select stamped_at from stamp) end as match_keys_changed_at
        from hashed left join previous on previous.record_key = hashed.record_key
    """)


#: the columns int_identity__records needs in its previous contents to reuse their normalization
REUSE_COLUMNS = ("source_row_hash", "normalized_with", "country_code", "first_name_records")


def normalized_records_sql(con, unioned: str, previous: str | None, ref, build_at: datetime):
    """The identity records with match keys (scv.normalize) and their stamps (`stamp_sql`), as a
    relation on `con`: what int_identity__records holds.

    unioned: the records before normalization (a table name or parenthesized query); previous: the
    model's last contents (with REUSE_COLUMNS and MATCH_KEY_HISTORY_COLUMNS), or None.

    Each record carries source_row_hash, a hash of its unioned row. A record whose row is the same
    as last build's, normalized under the same `normalization_signature` and with the same phone
    fallback regions, keeps its normalized columns without passing through Python; the others are
    normalized (reusing the last build's parses of the same emails and phones). What depends on all
    records is computed over all of them: the fallback regions (from the countries' counts) and
    first_name_records (in SQL). The result is the same as normalizing every record. Scratch
    objects are temporary (scv_ prefixed), so nothing but the returned relation reaches the warehouse.
    """
    from scv.normalize import KNOWN_COLUMNS, normalization_signature, normalize_records

    signature = normalization_signature(ref)
    literal = "'" + signature.replace("'", "''") + "'"
    columns = con.sql(f"select * from {unioned} limit 0").columns
    con.execute(f"create or replace temp view scv_unioned_records as "
                f"select *, hash({', '.join(columns)}) as source_row_hash from {unioned}")
    fallback = _fallback_regions(con, "scv_unioned_records", "country", ref)
    previous_types = {}
    if previous is not None:
        empty = con.sql(f"select * from {previous} limit 0")
        previous_types = dict(zip(empty.columns, map(str, empty.types)))
    # (a new column of the unioned records changes every row's hash, and the last build lacks it)
    reuse = (previous is not None and {*columns, *REUSE_COLUMNS} <= previous_types.keys()
             and _fallback_regions(con, previous, "country_code", ref, coded=True) == fallback)
    same_row = (f"previous.record_key = unioned.record_key and previous.source_row_hash = unioned.source_row_hash"
                f" and previous.normalized_with = {literal}") if reuse else "false"
    con.execute(f"""create or replace temp table scv_records_todo as select * from scv_unioned_records as unioned
        where not exists (select 1 from {previous or 'scv_unioned_records'} as previous where {same_row})""")
    known = None
    if reuse:
        known = con.sql(f"""select {', '.join(KNOWN_COLUMNS)} from {previous} where normalized_with = {literal}
            and (email in (select email from scv_records_todo) or phone in (select phone from scv_records_todo))""").df()
    normalized = normalize_records(con.sql("select * from scv_records_todo").df(), ref, known=known,
                                   fallback=fallback)
    normalized["normalized_with"] = signature
    con.execute("drop table scv_records_todo")
    con.register("scv_normalized_records", normalized)
    if reuse:
        # the last build's types: an empty frame of new records has no types of its own
        cast = ", ".join(f"cast({c} as {previous_types[c]}) as {c}" for c in normalized.columns)
        combined = f"""(
            select {cast} from scv_normalized_records
            union all
            select {cast} from {previous} as previous
            where exists (select 1 from scv_unioned_records as unioned where {same_row}))"""
    else:
        combined = "scv_normalized_records"
    recounted = f"""(
        with
        combined as (select * from {combined}),
        counts as (
            select first_name_norm, count(*) as first_name_records from combined
            where first_name_norm is not null and not (source_table = 'orders' and shop_customer_id is not null)
            group by first_name_norm
        )
        select combined.* replace (counts.first_name_records as first_name_records)
        from combined left join counts on counts.first_name_norm = combined.first_name_norm
    )"""
    return stamp_sql(con, recounted, previous, build_at)


def _fallback_regions(con, relation: str, column: str, ref, coded: bool = False) -> tuple[str, ...]:
    """scv.normalize.fallback_regions of a relation's records, counted in SQL (`column`: the country
    text, or with coded=True the country code)."""
    from scv.normalize import country_code, fallback_regions

    counts = con.sql(f"select {column} as value, count(*) as n from {relation} "
                     f"where {column} is not null group by {column}").df()
    codes = counts["value"] if coded else counts["value"].map(lambda v: country_code(v, ref))
    return fallback_regions(counts["n"].groupby(codes.to_numpy()).sum(), ref)


def stamp_match_key_changes(records: pd.DataFrame, previous: pd.DataFrame | None,
                            build_at: datetime) -> pd.DataFrame:
    """`stamp_sql` on frames (in the records' row order)."""
    import duckdb

    from scv.linking import INPUT_COLUMNS

    con = duckdb.connect()
    frame = records.reindex(columns=[*records.columns, *[c for c in INPUT_COLUMNS if c not in records.columns]])
    if "first_name_records" not in records.columns:
        from scv.normalize import first_name_records

        frame["first_name_records"] = first_name_records(records)
    con.register("scv_records", frame.assign(scv_row=range(len(frame))))
    if previous is not None and len(previous):
        con.register("scv_previous", previous[["record_key", *MATCH_KEY_HISTORY_COLUMNS]])
    relation = stamp_sql(con, "scv_records", "scv_previous" if previous is not None and len(previous) else None,
                         build_at)
    stamped = relation.order("scv_row").df()
    con.close()
    out = records.copy(deep=False)
    out["match_keys_hash"] = stamped["match_keys_hash"].to_numpy()
    out["match_keys_changed_at"] = stamped["match_keys_changed_at"].astype("datetime64[us]").to_numpy()
    return out


def scoring_signature(linking_model: str, threshold: float) -> str:
    """What scored an edge: the linking model (the shipped file's digest), the kept-edge threshold,
    and the digests of the scoring code. Edges scored under another signature are rescored."""
    import splink

    from scv import linking

    code = hashlib.sha256()
    for path in (Path(linking.__file__), Path(__file__)):
        code.update(path.read_bytes())
    model = ("shipped " + hashlib.sha256(linking.DEFAULT_MODEL_PATH.read_bytes()).hexdigest()[:12]
             if linking_model == "shipped" else "trained on the build's records")
    return f"{model}; threshold {threshold:g}; code {code.hexdigest()[:12]}; splink {splink.__version__}"


def has_previous(session, relation, required: Sequence[str]) -> bool:
    """Whether a dbt Python model's own table exists with the `required` columns (a first build
    has none, and a table from an older version may lack some)."""
    columns = {row[0] for row in session.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [relation.schema, relation.identifier],
    ).fetchall()}
    return bool(columns) and set(required) <= columns


def previous_contents(session, relation, required: Sequence[str], select: str = "*") -> pd.DataFrame | None:
    """A dbt Python model's own table as the last build left it (`select` of it), or None when
    `has_previous` says there is none."""
    if not has_previous(session, relation, required):
        return None
    return session.sql(f"select {select} from {relation}").df()


def parse_flag(value: object, name: str) -> bool:
    """A dbt config value (rendered from a var, so often text) as a bool; anything else is an error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(f"{name} must be true or false, got {value!r}")


def parse_list(value: object) -> list[str]:
    """A dbt config value rendered from a list var (joined with commas) as a list of names."""
    return [x.strip() for x in str(value or "").split(",") if x.strip()]


def fuzzy_edges(records: pd.DataFrame, *, linking_model: str = "shipped", household_veto: bool = True,
                threshold: float = 0.5, seed: int = 42, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Probabilistic edges of the identity records.

    linking_model="shipped" scores with the model trained offline and saved in scv/models (the
    default: builds are fast and repeatable, and the weights were reviewed). "train" fits the model
    on these records first (unsupervised EM, fixed seed, so the same input gives the same model):
    for data unlike the synthetic retail world the shipped model learned from.

    household_veto=False lets EM learn what unrelated first names weigh instead of treating them
    as a veto. Only for data known to hold no households, twins or family members sharing contact
    details (e.g. a benchmark whose duplicates replace first names); it needs linking_model="train",
    because the shipped model was trained with the veto.

    `previous` (the last build's edges, with scored_at and scored_by) makes the scoring
    incremental: see `_incremental_edges`. Every edge carries scored_at (the latest
    match_keys_changed_at of the records it was scored with) and scored_by (`scoring_signature`).
    """
    from scv import linking

    if linking_model not in LINKING_MODELS:
        raise ValueError(f"identity_linking_model must be one of {LINKING_MODELS}, got {linking_model!r}")
    if linking_model == "shipped" and not household_veto:
        raise ValueError("identity_household_veto: false needs identity_linking_model: train "
                         "(the shipped model was trained with the household veto)")
    candidates = fuzzy_candidates(records)
    signature = scoring_signature(linking_model, threshold)
    scored_at = _latest_change(candidates)
    if linking_model == "shipped":
        if previous is not None:
            return _incremental_edges(candidates, previous, signature, scored_at, threshold)
        edges = linking.predict_edges(candidates, threshold=threshold)
    else:
        conflict_m = linking.FIRST_NAME_CONFLICT_M if household_veto else None
        model = linking.train(candidates, seed=seed, max_pairs=1e6, first_name_conflict_m=conflict_m,
                              metadata={"trained_on": "build input"})
        edges = linking.predict_edges(candidates, model, threshold=threshold)
    return _with_scoring(edges, scored_at, signature)


def _latest_change(candidates: pd.DataFrame) -> pd.Timestamp:
    """The latest match_keys_changed_at of the records (NaT without any, or without the column)."""
    if "match_keys_changed_at" not in candidates.columns or not len(candidates):
        return pd.NaT
    return pd.Timestamp(candidates["match_keys_changed_at"].max())


def _with_scoring(edges: pd.DataFrame, scored_at: pd.Timestamp, signature: str) -> pd.DataFrame:
    return edges.assign(scored_at=pd.Series(scored_at, index=edges.index, dtype="datetime64[us]"),
                        scored_by=pd.Series(signature, index=edges.index, dtype="string"))


def _incremental_edges(candidates: pd.DataFrame, previous: pd.DataFrame, signature: str,
                       scored_at: pd.Timestamp, threshold: float) -> pd.DataFrame:
    """The edges a full scoring of `candidates` gives, scoring only the pairs that can have one.

    The last build's edges are complete for every record whose match keys last changed at or
    before their latest scored_at (the watermark). So two kinds of pair are scored: the pairs with
    a record changed after it (new, or with new keys), found by the blocking rules; and the last
    build's edges between two records unchanged since, as they are (their scores drift as new
    records change the term frequencies and the prior). Both are scored with the term frequencies
    and prior of all candidates, so every edge has the score a full scoring gives it. The one
    difference: a pair of unchanged records that was below the threshold last time and has drifted
    above it since is not found (at the default 0.5 threshold, far below the 0.99 that merges).
    Previous edges scored under another signature (another model, threshold or scoring code) are
    ignored and every pair is scored again.
    """
    from scv import linking

    usable = ("match_keys_changed_at" in candidates.columns and set(SCORING_COLUMNS) <= set(previous.columns)
              and len(previous) > 0 and bool((previous["scored_by"] == signature).all()))
    if not usable:
        return _with_scoring(linking.predict_edges(candidates, threshold=threshold), scored_at, signature)
    watermark = pd.Timestamp(previous["scored_at"].max())
    changed = candidates["match_keys_changed_at"].isna() | (candidates["match_keys_changed_at"] > watermark)
    settled = candidates.loc[~changed, "record_key"].to_numpy()  # (an array: isin converts a set first)
    kept = previous[previous["record_key_l"].isin(settled) & previous["record_key_r"].isin(settled)]
    edges = linking.predict_edges(candidates, threshold=threshold, score_only=changed.to_numpy(),
                                  rescore=kept[["record_key_l", "record_key_r"]])
    return _with_scoring(edges, scored_at, signature)
