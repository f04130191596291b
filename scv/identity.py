"""Identity pipeline glue shared by the dbt Python models (kept here so the models stay thin)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa

SIGNAL_COLUMNS = ("first_name_norm", "last_name_norm", "email_norm", "phone_e164", "date_of_birth")

#: values of the dbt var identity_linking_model
LINKING_MODELS = ("shipped", "train")


#: fuzzy_candidates as a SQL filter, for a dbt relation: the warehouse drops the other records
#: before they are copied into Python (at 100k persons most identity records are web visitors)
CANDIDATE_FILTER_SQL = (
    "(" + " or ".join(f"{c} is not null" for c in SIGNAL_COLUMNS) + ")"
    " and not (source_table = 'orders' and shop_customer_id is not null)"
)


def fuzzy_columns() -> list[str]:
    """The columns `fuzzy_edges` reads (`fuzzy_input_sql`): the linking engine's input, the
    first-name count, the match-key stamp and what `fuzzy_candidates` filters on (the model copies
    only these into Python: half the table's columns)."""
    from scv.linking import INPUT_COLUMNS

    return [*INPUT_COLUMNS, "first_name_records", "match_keys_changed_at", "source_table"]


#: the records that count towards a first name's first_name_records: orders placed from a shop
#: account are left out (they repeat the account's name once per order)
FIRST_NAME_COUNTED_SQL = "first_name_norm is not null and not (source_table = 'orders' and shop_customer_id is not null)"


def first_name_counts_sql(records: str) -> str:
    """SQL for one row per first-name spelling (first_name_norm) with first_name_records, how many
    of `records` (a table name or parenthesized query) write it: int_identity__first_name_counts,
    and scv.normalize.first_name_records in SQL. A spelling written by many records is an
    established name: two such spellings are two people, not a typo."""
    return (f"select first_name_norm, count(*) as first_name_records from {records} "
            f"where {FIRST_NAME_COUNTED_SQL} group by first_name_norm")


def fuzzy_input_sql(records: str, first_name_counts: str) -> str:
    """SQL for what int_identity__fuzzy_edges hands the linking engine: the `fuzzy_columns` of the
    identity records that pass CANDIDATE_FILTER_SQL, each with its first name's count."""
    return f"""select {', '.join(fuzzy_columns())} from (
        select records.*, counts.first_name_records
        from {records} as records
        left join {first_name_counts} as counts on counts.first_name_norm = records.first_name_norm
    ) where {CANDIDATE_FILTER_SQL}"""


def fuzzy_candidates(records: pd.DataFrame | pa.Table) -> pd.DataFrame | pa.Table:
    """The records worth scoring probabilistically (a pandas frame or an Arrow table, returned as
    the same kind; unchanged when every record qualifies, as after CANDIDATE_FILTER_SQL).

    Left out: records with no identifying value at all (an anonymous web visitor who never logged
    in has nothing to compare), and orders placed from a shop account (they belong to the account
    deterministically, and scoring every order would multiply the work for no new link).
    """
    if isinstance(records, pa.Table):  # CANDIDATE_FILTER_SQL itself, in DuckDB
        import duckdb

        con = duckdb.connect()
        try:
            con.register("scv_records", records)
            qualifying = con.sql(f"select count(*) from scv_records where {CANDIDATE_FILTER_SQL}").fetchall()[0][0]
            if qualifying == records.num_rows:
                return records
            return con.sql(f"select * from scv_records where {CANDIDATE_FILTER_SQL}").to_arrow_reader().read_all()
        finally:
            con.close()
    present = [c for c in SIGNAL_COLUMNS if c in records.columns]
    has_signal = records[present].notna().any(axis=1)
    account_order = (records["source_table"] == "orders") & records["shop_customer_id"].notna()
    keep = has_signal & ~account_order
    return records if keep.all() else records[keep]


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


def _sql_text(value: str) -> str:
    """A SQL string literal of `value`."""
    return "'" + value.replace("'", "''") + "'"


#: the columns int_identity__records needs in its previous contents to reuse their normalization
REUSE_COLUMNS = ("source_row_hash", "normalized_with", "country_code")


def normalized_records_sql(con, unioned: str, previous: str | None, ref, build_at: datetime,
                           reuse_rows: bool = True, changes_only: bool = False):
    """The identity records with match keys (scv.normalize) and their stamps (`stamp_sql`), as a
    relation on `con`: what int_identity__records holds.

    unioned: the records before normalization (a table name or parenthesized query); previous: the
    model's last contents (with REUSE_COLUMNS and MATCH_KEY_HISTORY_COLUMNS), or None;
    reuse_rows=False normalizes every record again (the stamps still follow the previous contents).

    Each record carries source_row_hash, a hash of its unioned row. A record whose row is the same
    as last build's, normalized under the same `normalization_signature` and with the same phone
    fallback regions, keeps its normalized columns without passing through Python; the others are
    normalized (reusing the last build's parses of the same emails and phones). What depends on all
    records is computed over all of them: the fallback regions (from the countries' counts) and
    whether each first name is established (`first_name_counts_sql`, which the match-key hash
    reads). The result is the same as normalizing every record. Scratch objects are temporary
    (scv_ prefixed), so nothing but the returned relation reaches the warehouse.

    changes_only=True (with `previous`) returns only the rows that differ from `previous`: new and
    changed records, and records whose first name became, or stopped being, an established name
    (their match-key hash changes). `previous` with these rows put in by record_key, less the
    records no longer in `unioned` (the model's post-hook deletes them), is the full
    result: the model updates its table in place instead of writing millions of unchanged rows.
    When `previous` lacks a column of the result, every row is returned.
    """
    from scv.linking import ESTABLISHED_NAME_RECORDS
    from scv.normalize import KNOWN_COLUMNS, normalization_signature, normalize_records

    signature = normalization_signature(ref)
    literal = _sql_text(signature)
    columns = con.sql(f"select * from {unioned} limit 0").columns
    con.execute(f"create or replace temp view scv_unioned_records as "
                f"select *, hash({', '.join(columns)}) as source_row_hash from {unioned}")
    fallback = _fallback_regions(con, "scv_unioned_records", "country", ref)
    previous_types = {}
    if previous is not None:
        empty = con.sql(f"select * from {previous} limit 0")
        previous_types = dict(zip(empty.columns, map(str, empty.types)))
    # (a new column of the unioned records changes every row's hash, and the last build lacks it)
    reuse = (reuse_rows and previous is not None and {*columns, *REUSE_COLUMNS} <= previous_types.keys()
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
    con.execute("create or replace temp table scv_records_todo_keys as select record_key from scv_records_todo")
    con.execute("drop table scv_records_todo")
    con.register("scv_normalized_records", normalized)
    fresh, kept = "scv_normalized_records", None
    if reuse:
        # the last build's types: an empty frame of new records has no types of its own
        cast = ", ".join(f"cast({c} as {previous_types[c]}) as {c}" for c in normalized.columns)
        fresh = f"(select {cast} from scv_normalized_records)"
        # the last build's rows still in the sources and not normalized again: the same row as then
        # (record_key is unique in both), found without comparing every row again
        kept = f"""(select {cast} from {previous}
            where record_key in (select record_key from scv_unioned_records)
              and record_key not in (select record_key from scv_records_todo_keys))"""
    combined = fresh if kept is None else f"({fresh} union all {kept})"
    con.execute(f"create or replace temp table scv_first_name_counts as {first_name_counts_sql(combined)}")
    counts = "scv_first_name_counts"
    # (a last build without some column of the result gets every row: the update adds the column)
    changes_only = changes_only and {*normalized.columns, *MATCH_KEY_HISTORY_COLUMNS} <= previous_types.keys()
    if changes_only and kept is not None:
        # kept rows whose first name crossed ESTABLISHED_NAME_RECORDS either way: their hash changes
        crossed = f"""(
            select first_name_norm from {counts} as now
            full join ({first_name_counts_sql(previous)}) as before using (first_name_norm)
            where (coalesce(now.first_name_records, 0) >= {ESTABLISHED_NAME_RECORDS})
                  != (coalesce(before.first_name_records, 0) >= {ESTABLISHED_NAME_RECORDS})
        )"""
        rows = f"({fresh} union all (select * from {kept} where first_name_norm in {crossed}))"
    else:
        rows = combined
    counted = f"""(
        select rows.*, counts.first_name_records
        from {rows} as rows left join {counts} as counts on counts.first_name_norm = rows.first_name_norm
    )"""
    return stamp_sql(con, counted, previous, build_at).select("* exclude (first_name_records)")


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


def fuzzy_edges(records: pd.DataFrame | pa.Table, *, linking_model: str = "shipped", household_veto: bool = True,
                threshold: float = 0.5, seed: int = 42, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Probabilistic edges of the identity records (a pandas frame, or an Arrow table: the dbt
    model hands over one, so millions of records are never copied into pandas).

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
        model = linking.train(candidates.to_pandas() if isinstance(candidates, pa.Table) else candidates,
                              seed=seed, max_pairs=1e6, first_name_conflict_m=conflict_m,
                              metadata={"trained_on": "build input"})
        edges = linking.predict_edges(candidates, model, threshold=threshold)
    return _with_scoring(edges, scored_at, signature)


def _columns(records: pd.DataFrame | pa.Table) -> list[str]:
    return records.column_names if isinstance(records, pa.Table) else list(records.columns)


def _latest_change(candidates: pd.DataFrame | pa.Table) -> pd.Timestamp:
    """The latest match_keys_changed_at of the records (NaT without any, or without the column)."""
    if "match_keys_changed_at" not in _columns(candidates) or not len(candidates):
        return pd.NaT
    if isinstance(candidates, pa.Table):
        import pyarrow.compute as pc

        latest = pc.max(candidates.column("match_keys_changed_at")).as_py()
        return pd.NaT if latest is None else pd.Timestamp(latest)
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

    usable = ("match_keys_changed_at" in _columns(candidates) and set(SCORING_COLUMNS) <= set(previous.columns)
              and len(previous) > 0 and bool((previous["scored_by"] == signature).all()))
    if not usable:
        return _with_scoring(linking.predict_edges(candidates, threshold=threshold), scored_at, signature)
    watermark = pd.Timestamp(previous["scored_at"].max())
    if isinstance(candidates, pa.Table):
        import pyarrow.compute as pc

        stamps = candidates.column("match_keys_changed_at").cast(pa.timestamp("us"))
        later = pc.greater(stamps, pa.scalar(watermark.to_pydatetime(), pa.timestamp("us")))
        changed = pc.or_kleene(pc.is_null(stamps), later).to_numpy()
    else:
        stamps = candidates["match_keys_changed_at"]
        changed = (stamps.isna() | (stamps > watermark)).to_numpy()
    edges = linking.predict_edges(candidates, threshold=threshold, score_only=changed,
                                  rescore=_edges_between_settled(candidates, changed, previous))
    return _with_scoring(edges, scored_at, signature)


def _edges_between_settled(candidates: pd.DataFrame | pa.Table, changed, previous: pd.DataFrame) -> pd.DataFrame:
    """The previous edges (record_key_l, record_key_r) whose two records are both candidates and
    not `changed` (one flag per candidate), matched in DuckDB: a pandas isin over millions of
    string keys took seconds."""
    import duckdb

    con = duckdb.connect()
    try:
        if isinstance(candidates, pa.Table):
            settled = pa.table({"record_key": candidates.column("record_key"), "changed": pa.array(changed, pa.bool_())})
        else:
            settled = pd.DataFrame({"record_key": candidates["record_key"].to_numpy(), "changed": changed})
        con.register("scv_settled", settled)
        con.register("scv_previous", previous[["record_key_l", "record_key_r"]])
        return con.execute("""
            with settled as (select cast(record_key as varchar) as record_key from scv_settled where not changed)
            select record_key_l, record_key_r from scv_previous
            where cast(record_key_l as varchar) in (select record_key from settled)
              and cast(record_key_r as varchar) in (select record_key from settled)
        """).df()
    finally:
        con.close()


#: what int_identity__link_decisions adds to scv.clustering.decide's columns, to decide incrementally
DECISION_STATE_COLUMNS = ("link_component", "decided_through", "decided_at", "decided_by")


def decision_signature(guardrails, overrides: pd.DataFrame) -> str:
    """What decided a link: the guardrails, the reviewed overrides and the clustering code (digests).
    Decisions made under another signature are all made again."""
    from dataclasses import asdict

    from scv import clustering

    digest = hashlib.sha256(repr(sorted(asdict(guardrails).items())).encode())
    rows = overrides[["record_key_a", "record_key_b", "decision"]].astype(str).sort_values(
        ["record_key_a", "record_key_b", "decision"]).to_numpy().tolist() if len(overrides) else []
    digest.update(repr(rows).encode())
    for path in (Path(clustering.__file__), Path(__file__)):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _rule_rank_sql() -> str:
    """scv.clustering.RULE_RANK of a link's rule, in SQL."""
    from scv.clustering import RULE_RANK

    return ("case rule " + " ".join(f"when {_sql_text(r)} then {n}" for r, n in RULE_RANK.items())
            + f" else {len(RULE_RANK)} end")


def link_decisions_sql(con, records: str, exact: str, fuzzy: str, overrides: pd.DataFrame, guardrails,
                       previous: str | None, build_at: datetime):
    """int_identity__link_decisions as a relation on `con`: `scv.clustering.decide`'s decisions on
    every link, with DECISION_STATE_COLUMNS.

    records / exact / fuzzy: relations (table names or parenthesized queries) of the identity
    records, deterministic and probabilistic edges; previous: the model's last contents, or None.

    A decision depends only on the links of its component (`scv.clustering.link_components`), and on
    their confidences only through their order and the fuzzy threshold. So with a previous build
    decided under the same `decision_signature`, a component is decided again only when a change
    touched it: a record whose match keys changed since (match_keys_changed_at after the last
    decided_through), a link new or gone, a fuzzy link's probability moved across the threshold, or
    its links in another order. The other components keep their decisions (with today's
    confidences: rescoring moves every probability a little). decision_order is numbered over all
    links again. The result is the same as deciding every link.
    """
    from scv.clustering import decide, decision_record_columns, link_components
    from scv.linking import INPUT_COLUMNS

    signature = decision_signature(guardrails, overrides)
    limits = pd.DataFrame({"identifier_type": list(guardrails.limits)})
    available = con.sql(f"select * from {records} limit 0").columns
    decision_columns = decision_record_columns(available, limits)
    con.register("scv_overrides", overrides[["record_key_a", "record_key_b", "decision"]].astype(str))
    con.execute(f"""create or replace temp table scv_links as
        select cast(record_key_a as varchar) as record_key_l, cast(record_key_b as varchar) as record_key_r,
               'must_link' as rule, 'override' as kind, 1.0::double as confidence
        from scv_overrides where decision = 'must_link'
        union all
        select record_key_l, record_key_r, rule, 'exact', confidence::double from {exact}
        union all
        select record_key_l, record_key_r, 'fuzzy', 'fuzzy', match_probability::double from {fuzzy}""")
    through = con.sql(f"select max(match_keys_changed_at) from {records}").fetchall()[0][0]
    previous_columns = set(con.sql(f"select * from {previous} limit 0").columns) if previous else set()
    # the records' columns a decision reads must be ones their match-key stamps follow
    stamped = {"record_key", "source_system", "source_table", *INPUT_COLUMNS}
    usable = (previous is not None and set(DECISION_STATE_COLUMNS) <= previous_columns
              and set(decision_columns) <= stamped and "match_keys_changed_at" in available
              and con.sql(f"select count(*) = count(*) filter (where decided_by = {_sql_text(signature)}) "
                          f"and count(*) > 0 from {previous}").fetchall()[0][0])
    rank = _rule_rank_sql()
    threshold = float(guardrails.fuzzy_min_probability)
    if usable:
        # the records to decide again: the ends of links new or gone, the records changed since the
        # last decisions, and every record of a previous component holding one of them or whose
        # links moved across the fuzzy threshold or into another order
        con.execute(f"""create or replace temp table scv_decide_keys as
            with
            previous as (select record_key_l, record_key_r, rule, kind, confidence, link_component from {previous}),
            joined as (
                select coalesce(now.record_key_l, previous.record_key_l) as record_key_l,
                       coalesce(now.record_key_r, previous.record_key_r) as record_key_r,
                       coalesce(now.rule, previous.rule) as rule,
                       now.record_key_l is not null and previous.record_key_l is not null
                           and now.kind = previous.kind as in_both,
                       now.kind, now.confidence, previous.confidence as previous_confidence, previous.link_component
                from scv_links as now
                full join previous on previous.record_key_l = now.record_key_l
                    and previous.record_key_r = now.record_key_r and previous.rule = now.rule
            ),
            touched as (
                select record_key_l as record_key from joined where not in_both
                union select record_key_r from joined where not in_both
                union select record_key from {records}
                where match_keys_changed_at is null
                   or match_keys_changed_at > (select max(decided_through) from {previous})
            ),
            ranked as (
                select link_component,
                       row_number() over (partition by link_component
                                          order by {rank}, previous_confidence desc, record_key_l, record_key_r) as was,
                       row_number() over (partition by link_component
                                          order by {rank}, confidence desc, record_key_l, record_key_r) as now
                from joined where in_both
            ),
            components as (
                select link_component from previous where record_key_l in (select record_key from touched)
                union select link_component from previous where record_key_r in (select record_key from touched)
                union select link_component from joined
                where in_both and kind = 'fuzzy' and (confidence < {threshold}) <> (previous_confidence < {threshold})
                union select link_component from ranked where was <> now
            )
            select record_key from touched
            union select record_key_l from previous where link_component in (select link_component from components)
            union select record_key_r from previous where link_component in (select link_component from components)""")
        todo_links = ("select * from scv_links where record_key_l in (select record_key from scv_decide_keys) "
                      "or record_key_r in (select record_key from scv_decide_keys)")
        todo_records = (f"select {', '.join(decision_columns)} from {records} "
                        f"where record_key in (select record_key from scv_decide_keys)")
    else:
        todo_links = "select * from scv_links"
        todo_records = f"select {', '.join(decision_columns)} from {records}"
    links = con.sql(todo_links).df()
    todo_overrides = overrides
    if usable:  # (the overrides of the records decided again; a set of every key costs seconds at 1M)
        keys = set(links["record_key_l"]) | set(links["record_key_r"])
        todo_overrides = overrides[overrides["record_key_a"].isin(keys) | overrides["record_key_b"].isin(keys)]
    decided = decide(con.sql(todo_records).df(),
                     links.loc[links["kind"] == "exact", ["record_key_l", "record_key_r", "rule", "confidence"]],
                     links.loc[links["kind"] == "fuzzy", ["record_key_l", "record_key_r", "confidence"]]
                     .rename(columns={"confidence": "match_probability"}),
                     guardrails, todo_overrides)
    # later than every earlier decision, whatever the clock says: int_identity__clusters clusters
    # again the components decided after its last build
    at = build_at
    if "decided_at" in previous_columns:
        last = con.sql(f"select max(decided_at) from {previous}").fetchall()[0][0]
        at = max(at, last + timedelta(microseconds=1)) if last is not None else at
    decided = decided.drop(columns=["decision_order"]).assign(
        link_component=pd.Series(link_components(decided), index=decided.index, dtype="string"),
        decided_through=pd.Series(through, index=decided.index, dtype="datetime64[us]"),
        decided_at=pd.Series(at, index=decided.index, dtype="datetime64[us]"),
        decided_by=pd.Series(signature, index=decided.index, dtype="string"))
    con.register("scv_decided_links", decided)
    output = ["record_key_l", "record_key_r", "rule", "confidence", "kind", "accepted", "merged", "rejected_because",
              "link_component", "decided_through", "decided_at", "decided_by"]
    kept = ""
    if usable:
        # kept decisions, with today's confidence of their link
        con.execute(f"""create or replace temp table scv_kept_links as
            select {', '.join('previous.' + c if c != 'confidence' else 'now.confidence' for c in output)}
            from {previous} as previous
            join scv_links as now on now.record_key_l = previous.record_key_l
                and now.record_key_r = previous.record_key_r and now.rule = previous.rule
            where previous.record_key_l not in (select record_key from scv_decide_keys)""")
        kept = f" union all select {', '.join(output)} from scv_kept_links"
    con.execute("drop table scv_links")
    return con.sql(f"""
        select row_number() over (order by {rank}, confidence desc, record_key_l, record_key_r) as decision_order,
               {', '.join(output)}
        from (select {', '.join(output)} from scv_decided_links{kept})
    """)


def clusters_sql(con, records: str, decisions: str, previous: str | None):
    """int_identity__clusters as a relation on `con`: what `scv.clustering.assignments_from_decisions`
    gives, with decided_at (when the record's link component was last decided; null for a record
    without links).

    Only cluster_key needs a graph (the connected components of the merged links, with scipy); the
    other columns are aggregates of each record's links, in SQL. With a previous build, cluster_key
    is computed only for the records of components decided after it (decided_at later than its
    latest) and kept for the others (their merged links are the same). The result is the same as
    clustering every record.
    """
    from scv.clustering import smallest_keys

    since = None
    if previous is not None:
        watermark = con.sql(f"select max(decided_at) from {previous}").fetchall()[0][0]
        since = f"timestamp '{watermark.isoformat(sep=' ')}'" if watermark is not None else None
    again = f"decided_at > {since}" if since else "true"
    con.execute(f"""create or replace temp table scv_link_members as
        select distinct record_key, link_component, decided_at from (
            select record_key_l as record_key, link_component, decided_at from {decisions}
            union all
            select record_key_r, link_component, decided_at from {decisions})""")
    merged = con.sql(f"""select record_key_l, record_key_r from {decisions} where merged and link_component in
        (select link_component from scv_link_members where {again})""").df()
    keys, smallest = smallest_keys(merged)
    con.register("scv_merged_clusters", pd.DataFrame({"record_key": keys, "cluster_key": smallest}, dtype="string"))
    kept = ""
    if since:
        kept = f"""
            union all
            select previous.record_key, previous.cluster_key from {previous} as previous
            join scv_link_members as member on member.record_key = previous.record_key
            where member.decided_at <= {since}"""
    return con.sql(f"""
        with
        records as (select record_key from {records}),
        clusters as (
            select member.record_key, coalesce(merged.cluster_key, member.record_key) as cluster_key
            from scv_link_members as member
            left join scv_merged_clusters as merged on merged.record_key = member.record_key
            where {again.replace('decided_at', 'member.decided_at')}{kept}
        ),
        ends as (
            select record_key_l as record_key, confidence, decision_order, rule, accepted, rejected_because
            from {decisions}
            union all
            select record_key_r, confidence, decision_order, rule, accepted, rejected_because from {decisions}
        ),
        strongest as (
            select record_key, confidence, rule from ends where accepted
            qualify row_number() over (partition by record_key order by confidence desc, decision_order) = 1
        ),
        refused as (
            select record_key, count(*) as n from ends
            where not accepted
              and rejected_because not in ('unknown_record', 'below_fuzzy_threshold', 'nameless_email')
            group by record_key
        ),
        weakest as (
            select clusters.cluster_key, min(d.confidence) as confidence
            from {decisions} as d join clusters on clusters.record_key = d.record_key_l
            where d.merged
            group by clusters.cluster_key
        )
        select
            cast(records.record_key as varchar) as record_key,
            cast(coalesce(clusters.cluster_key, records.record_key) as varchar) as cluster_key,
            coalesce(strongest.confidence, 1.0)::double as link_confidence,
            cast(coalesce(strongest.rule, 'singleton') as varchar) as linked_by,
            least(1.0, coalesce(weakest.confidence, 1.0))::double as cluster_confidence,
            coalesce(refused.n, 0)::bigint as rejected_edge_count,
            cast(member.decided_at as timestamp) as decided_at
        from records
        left join clusters on clusters.record_key = records.record_key
        left join scv_link_members as member on member.record_key = records.record_key
        left join strongest on strongest.record_key = records.record_key
        left join refused on refused.record_key = records.record_key
        left join weakest on weakest.cluster_key = clusters.cluster_key
    """)
