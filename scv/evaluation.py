"""Identity evaluation: the warehouse's `customer_identity_map` against ground truth.

A prediction assigns every identity-bearing record a ``customer_id``; the truth
(``<landing>/_truth/records.parquet``) assigns it a ``person_id``.  A record is keyed by
(source_system, source_table, source_record_id) in the map and by (source, table,
record_id) in the truth.

Everything is computed from group sizes, never by enumerating pairs: a group of ``n``
records implies ``n*(n-1)/2`` pairs, and the true-positive pairs are the pairs inside each
(customer, person) intersection.  The pairs that *touch* a subset of ``k`` of a group's
``n`` records are ``n(n-1)/2 - (n-k)(n-k-1)/2``, which gives the per-hard-case slices.

Rules (the landing contract, section "Ground truth"):

* records tagged ``conflicting_duplicate_key`` in the truth are expected to be quarantined
  by the warehouse: they are excluded from both sides and counted;
* junk records (``person_id`` starting with ``J``) are each their own person: any merge
  that involves one is a false merge;
* metrics are computed on the records present in both the map and the truth; the records
  missing on either side are counted (overall and per source table) and reported.

Public API: :func:`evaluate_frames`, :func:`evaluate_warehouse`, :func:`format_report`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

QUARANTINE_TAG = "conflicting_duplicate_key"
JUNK_PREFIX = "J"
MAP_RELATION = "customer_identity_map"
IDENTITY_RECORDS = "int_identity__records"
HOUSEHOLDS = "customer_households"

#: Evidence two records of one person can share (int_identity__records columns). Two records that
#: share none of these are linked by nothing any rule or model of the pipeline looks at; the
#: ceiling below joins every true pair that shares one (transitively) and reports the recall that
#: a perfect decision on that evidence would reach.
CEILING_KEYS = {
    "email": "email_norm",
    "phone": "coalesce(phone_e164, phone_national)",
    "shop account": "coalesce(shop_customer_id, case when source_system = 'shop' and source_table = 'customers' "
                    "then source_record_id end)",
    "email click": "coalesce(email_subscriber_id, case when source_system = 'email' then source_record_id end)",
    "crm merge": "coalesce(crm_surviving_contact_id, case when source_system = 'crm' then source_record_id end)",
    "full name": "case when last_name_norm is not null then coalesce(first_name_canonical, first_name_norm) "
                 "|| '|' || last_name_norm end",
    "full name swapped": "case when first_name_norm is not null then last_name_norm || '|' "
                         "|| coalesce(first_name_canonical, first_name_norm) end",
    "sounds-alike full name": "first_name_metaphone || '|' || last_name_metaphone",
    "last name + birth date": "last_name_norm || '|' || date_of_birth",
    "first name + birth date": "coalesce(first_name_canonical, first_name_norm) || '|' || date_of_birth",
}
#: Orders placed from a shop account: the shop itself ties each to its account (a foreign key), so
#: they need no identity decision, yet each adds one pair per other record of its person. The
#: pairwise figures are also reported without them: what the identity decisions alone achieve,
#: not weighted by how often a person orders.
ACCOUNT_ORDERS_SQL = (
    "select source_system as s, source_table as t, source_record_id as r "
    'from wh."{schema}".int_identity__records '
    "where source_system = 'shop' and source_table = 'orders' and shop_customer_id is not null"
)
PRED_COLUMNS = ("source_system", "source_table", "source_record_id", "customer_id")
TRUTH_COLUMNS = ("source", "table", "record_id", "person_id")


# --------------------------------------------------------------------------- public API


def evaluate_frames(pred_df: pd.DataFrame, truth_df: pd.DataFrame) -> dict[str, Any]:
    """Evaluate a predicted assignment held in a DataFrame against a truth DataFrame.

    ``pred_df``: source_system, source_table, source_record_id, customer_id (extra columns
    ignored).  ``truth_df``: source, table, record_id, person_id and optionally hard_cases
    (comma-separated tags).  Returns the dict described in :func:`_evaluate`.
    """
    _require(pred_df.columns, PRED_COLUMNS, "prediction")
    _require(truth_df.columns, TRUTH_COLUMNS, "truth")
    truth = truth_df.copy() if "hard_cases" in truth_df.columns else truth_df.assign(hard_cases="")
    con = _connect()
    try:
        con.register("pred_frame", pred_df[list(PRED_COLUMNS)])
        con.register("truth_frame", truth[[*TRUTH_COLUMNS, "hard_cases"]])
        con.execute("create temp view pred_in as select * from pred_frame")
        con.execute("create temp view truth_in as select * from truth_frame")
        return _evaluate(con)
    finally:
        con.close()


def account_orders(records: pd.DataFrame) -> pd.Series:
    """Which identity records (int_identity__records rows) are orders placed from a shop account:
    the frame form of ACCOUNT_ORDERS_SQL."""
    return ((records["source_system"] == "shop") & (records["source_table"] == "orders")
            & records["shop_customer_id"].notna())


def pairwise_without(pred_df: pd.DataFrame, truth_df: pd.DataFrame, leave_out: pd.Series) -> dict[str, Any]:
    """Pairwise figures of `pred_df` with the rows `leave_out` marks (a boolean Series on its index)
    left out of both sides, as `scv evaluate` reports them without account orders."""
    kept = pred_df[~leave_out.reindex(pred_df.index, fill_value=False).astype(bool)]
    keys = set(zip(kept["source_system"], kept["source_table"], kept["source_record_id"]))
    truth = truth_df[[k in keys for k in zip(truth_df["source"], truth_df["table"], truth_df["record_id"])]]
    return evaluate_frames(kept, truth)["pairwise"]


def evaluate_warehouse(
    warehouse_path: str | Path, landing_path: str | Path, relation: str | None = None,
    exclude_sources: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Evaluate the `customer_identity_map` of a DuckDB warehouse against `<landing>/_truth`.

    The warehouse is attached read-only.  ``relation`` (``schema.table`` or ``table``)
    overrides the lookup of the map; by default the one relation named
    ``customer_identity_map`` is used (``main`` wins if several schemas hold one).
    ``exclude_sources`` leaves the records of those source systems out of both sides (e.g.
    ``("web",)``: anonymous devices that never logged in carry no identifier at all, so this
    shows accuracy on the records that can be resolved); the result says what was left out.
    """
    warehouse = Path(warehouse_path)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}")
    truth_path = _truth_records_path(landing_path)
    con = _connect()
    try:
        con.execute(f"attach {_sql_str(str(warehouse))} as wh (read_only)")
        schema, name = _find_map(con, relation)
        excluded = ", ".join(_sql_str(x) for x in exclude_sources) or "null"
        con.execute(f'create temp view pred_in as select {", ".join(PRED_COLUMNS)} from wh."{schema}"."{name}" '
                    f"where source_system not in ({excluded}) or {not exclude_sources}")
        hard_cases = "coalesce(hard_cases, '')" if _has_hard_cases(con, truth_path) else "''"
        con.execute(
            f'create temp view truth_in as select source, "table", record_id, person_id, {hard_cases} as hard_cases '
            f"from read_parquet({_sql_str(truth_path)}, union_by_name = true) "
            f"where source not in ({excluded}) or {not exclude_sources}"
        )
        result = _evaluate(con)
        result["inputs"] = {"warehouse": str(warehouse), "map_relation": f"{schema}.{name}",
                            "truth": truth_path, "excluded_sources": list(exclude_sources)}
        if _has_relation(con, schema, IDENTITY_RECORDS):
            result["ceiling"] = _ceiling(con, schema)
            result["without_account_orders"] = _pairwise_without(con, ACCOUNT_ORDERS_SQL.format(schema=schema))
        persons_path = _truth_persons_path(landing_path)
        if _has_relation(con, schema, HOUSEHOLDS) and persons_path:
            result["households"] = _households(con, schema, persons_path)
        return result
    finally:
        con.close()


def _has_relation(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(con.execute(
        "select count(*) from duckdb_tables() where database_name = 'wh' and schema_name = ? and table_name = ?",
        [schema, name]).fetchall()[0][0])


def _ceiling(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, Any]:
    """The recall a perfect decision could reach on the evidence the records carry.

    Every pair of evaluated records of one person that shares a value in CEILING_KEYS is joined,
    transitively (union-find); the pairwise recall of those groups is the ceiling. Records whose
    person has other records but which share nothing with any of them are counted as unlinkable
    (e.g. an anonymous web visitor who never logged in, a ticket with a name its person uses
    nowhere else). Ground truth is used only to choose which pairs to join, so the figure is an
    upper bound for any method on these records, not a prediction.
    """
    keys = " union all ".join(
        f"select record_key, {_sql_str(label)} as kind, ({expr})::varchar as value from wh.\"{schema}\".{IDENTITY_RECORDS}"
        for label, expr in CEILING_KEYS.items())
    con.execute(f"""
        create or replace temp table ceiling_keys as
        select ev.person, k.record_key, k.kind, k.value
        from ({keys}) as k
        join wh."{schema}".{IDENTITY_RECORDS} as r using (record_key)
        join ev on ev.s = r.source_system and ev.t = r.source_table and ev.r = r.source_record_id
        where k.value is not null
    """)
    pairs = con.execute("""
        select distinct l.record_key, r.record_key
        from ceiling_keys as l join ceiling_keys as r
            on l.person = r.person and l.kind = r.kind and l.value = r.value and l.record_key < r.record_key
    """).fetchall()
    members = con.execute("""
        select ev.person, r.record_key from ev
        join wh."{schema}".{table} as r on ev.s = r.source_system and ev.t = r.source_table and ev.r = r.source_record_id
    """.format(schema=schema, table=IDENTITY_RECORDS)).fetchall()
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[tuple[str, str], int] = {}
    persons: dict[str, int] = {}
    for person, record in members:
        groups[(person, find(record))] = groups.get((person, find(record)), 0) + 1
        persons[person] = persons.get(person, 0) + 1
    true_pairs = sum(n * (n - 1) // 2 for n in persons.values())
    linkable = sum(n * (n - 1) // 2 for n in groups.values())
    alone = sum(1 for (person, _root), n in groups.items() if n == 1 and persons[person] > 1)
    return {"recall_ceiling": _ratio(linkable, true_pairs), "linkable_pairs": linkable, "true_pairs": true_pairs,
            "records_sharing_nothing_with_their_person": alone,
            "records_with_identity_keys": len(members),
            "evidence": list(CEILING_KEYS)}


def format_report(result: dict[str, Any], max_slices: int | None = None) -> str:
    """A readable, fixed-width rendering of an evaluation result."""
    rc, pw, cl = result["records"], result["pairwise"], result["clusters"]
    lines = []
    if "inputs" in result:
        lines.append(f"map   {result['inputs']['warehouse']} :: {result['inputs']['map_relation']}")
        lines.append(f"truth {result['inputs']['truth']}")
        if result["inputs"].get("excluded_sources"):
            lines.append(f"left out of both sides: source systems {', '.join(result['inputs']['excluded_sources'])}")
    lines += [
        "",
        "Records",
        f"  {'in truth':<52}{rc['truth']:>12,}",
        f"  {'in customer_identity_map':<52}{rc['map']:>12,}",
        f"  {'excluded: conflicting_duplicate_key (quarantine)':<52}{rc['excluded_conflicting_duplicate_key']:>12,}"
        f"   ({rc['conflicting_duplicate_key_in_map']:,} still in the map)",
        f"  {'in truth, missing from the map':<52}{rc['missing_from_map']:>12,}",
        f"  {'in the map, not in truth':<52}{rc['extra_in_map']:>12,}",
        f"  {'evaluated (in both)':<52}{rc['evaluated']:>12,}",
    ]
    for label, key in (("truth keys with several rows", "duplicate_truth_keys"),
                       ("truth keys with several persons", "truth_keys_with_several_persons"),
                       ("map keys with several rows", "duplicate_map_keys"),
                       ("map keys with several customers", "map_keys_with_several_customers"),
                       ("map rows without customer_id (scored as singletons)", "map_rows_without_customer")):
        if rc.get(key):
            lines.append(f"  {'WARNING ' + label:<52}{rc[key]:>12,}")
    for title, key in (("missing from the map", "missing_from_map_by_table"), ("not in truth", "extra_in_map_by_table")):
        if result.get(key):
            lines.append(f"  {title}, by table: " + ", ".join(f"{k} {v:,}" for k, v in result[key].items()))
    lines += ["  " + line for line in textwrap.wrap(result["note"], 96)]
    lines += [
        "",
        "Pairwise (cluster-implied)",
        f"  precision {_fmt(pw['precision'])}   recall {_fmt(pw['recall'])}   F1 {_fmt(pw['f1'])}",
        f"  true pairs {pw['true_pairs']:,}   predicted pairs {pw['predicted_pairs']:,}   "
        f"true-positive pairs {pw['true_positive_pairs']:,}",
    ]
    if result.get("ceiling"):
        ce = result["ceiling"]
        lines += [
            f"  recall ceiling {_fmt(ce['recall_ceiling'])}: the true pairs joined by shared evidence "
            f"({ce['linkable_pairs']:,} of {ce['true_pairs']:,});",
            f"  {ce['records_sharing_nothing_with_their_person']:,} records share no email, phone, account, click id,"
            " CRM merge or name with any other record of their person",
        ]
    if result.get("without_account_orders"):
        wo = result["without_account_orders"]
        lines += [
            f"  without the {wo['records_left_out']:,} orders placed from a shop account (the shop ties each to"
            " its account,",
            "  and they weigh people by how often they order):",
            f"  precision {_fmt(wo['precision'])}   recall {_fmt(wo['recall'])}   F1 {_fmt(wo['f1'])}   "
            f"(true pairs {wo['true_pairs']:,}, predicted {wo['predicted_pairs']:,})",
        ]
    if result.get("households"):
        hh = result["households"]
        alone = hh["customers_alone"]
        lines += [
            "",
            "Households (customer_households against the true households, record pairs)",
            f"  precision {_fmt(hh['precision'])}   recall {_fmt(hh['recall'])}   F1 {_fmt(hh['f1'])}   "
            f"({hh['households']:,} households, {hh['true_households']:,} true)",
            f"  each customer alone: precision {_fmt(alone['precision'])}   recall {_fmt(alone['recall'])}",
        ]
    lines += [
        "",
        "Clusters",
        f"  {'customers':<40}{cl['customers']:>12,}",
        f"  {'persons (each junk record is its own)':<40}{cl['persons']:>12,}",
        f"  {'over-merged customers (2+ persons)':<40}{cl['over_merged_customers']:>12,}"
        f"   ({cl['records_in_over_merged_customers']:,} records)",
        f"  {'split persons (2+ customers)':<40}{cl['split_persons']:>12,}",
        f"  {'exact-match persons':<40}{cl['exact_match_persons']:>12,}   rate {_fmt(cl['exact_match_rate'])}",
        f"  {'largest customer / largest person':<40}{cl['largest_customer']:>12,} / {cl['largest_person']:,}",
        f"  {'junk records merged with anything':<40}{cl['junk_records_merged']:>12,} of {cl['junk_records']:,}",
    ]
    for title, key in (("By hard case (pairs touching a record with the tag)", "by_hard_case"),
                       ("By source table (pairs touching a record of the table)", "by_source_table")):
        slices = result.get(key) or {}
        if not slices:
            continue
        lines += ["", title, _slice_header()]
        items = sorted(slices.items(), key=lambda kv: _sort_key(kv[1]))
        for label, m in items[:max_slices] if max_slices else items:
            lines.append(_slice_row(label, m))
    return "\n".join(lines)


# --------------------------------------------------------------------------- core


def _evaluate(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Score the temp views ``pred_in`` and ``truth_in`` (see module docstring).

    Returns ``records`` (counts, including missing / extra / excluded), ``note``,
    ``missing_from_map_by_table`` / ``extra_in_map_by_table``, ``pairwise`` (precision,
    recall, f1, true_pairs, predicted_pairs, true_positive_pairs), ``clusters``
    (customers, persons, over_merged_customers, split_persons, exact_match_rate, junk ...),
    ``by_hard_case`` and ``by_source_table`` (the same pairwise figures per slice).
    """
    con.execute("""
        create or replace temp table truth_k as
        with raw as (
            select source::varchar as s, "table"::varchar as t, record_id::varchar as r,
                   person_id::varchar as person_id, coalesce(hard_cases::varchar, '') as hard_cases
            from truth_in
        )
        select s, t, r,
               min(person_id) as person_id,
               count(*) as n_rows,
               count(distinct person_id) as n_persons,
               list_sort(list_distinct(list_filter(
                   list_transform(string_split(string_agg(hard_cases, ','), ','), lambda x: trim(x)),
                   lambda x: x <> ''))) as tags
        from raw group by s, t, r
    """)
    con.execute("""
        create or replace temp table pred_k as
        select source_system::varchar as s, source_table::varchar as t, source_record_id::varchar as r,
               min(customer_id::varchar) as customer_id,
               count(*) as n_rows,
               count(distinct customer_id) as n_customers
        from pred_in group by all
    """)
    con.execute(f"""
        create or replace temp table excluded_k as
        select s, t, r from truth_k where list_contains(tags, '{QUARANTINE_TAG}')
    """)
    con.execute(f"""
        create or replace temp table ev as
        select tk.s, tk.t, tk.r,
               coalesce(pk.customer_id, '<none>|' || tk.s || '/' || tk.t || '/' || tk.r) as customer,
               case when tk.person_id is null or starts_with(tk.person_id, '{JUNK_PREFIX}')
                    then coalesce(tk.person_id, '<none>') || '|' || tk.s || '/' || tk.t || '/' || tk.r
                    else tk.person_id end as person,
               coalesce(starts_with(tk.person_id, '{JUNK_PREFIX}'), false) as is_junk,
               tk.tags
        from truth_k tk
        join pred_k pk using (s, t, r)
        anti join excluded_k using (s, t, r)
    """)

    def scalar(sql: str) -> int:
        return int(con.execute(sql).fetchall()[0][0] or 0)

    records = {
        "truth": scalar("select count(*) from truth_k"),
        "map": scalar("select count(*) from pred_k"),
        "excluded_conflicting_duplicate_key": scalar("select count(*) from excluded_k"),
        "conflicting_duplicate_key_in_map": scalar("select count(*) from excluded_k semi join pred_k using (s, t, r)"),
        "missing_from_map": scalar(
            "select count(*) from truth_k anti join pred_k using (s, t, r) anti join excluded_k using (s, t, r)"),
        "extra_in_map": scalar(
            "select count(*) from pred_k anti join truth_k using (s, t, r)"),
        "evaluated": scalar("select count(*) from ev"),
        "duplicate_truth_keys": scalar("select count(*) from truth_k where n_rows > 1"),
        "truth_keys_with_several_persons": scalar("select count(*) from truth_k where n_persons > 1"),
        "duplicate_map_keys": scalar("select count(*) from pred_k where n_rows > 1"),
        "map_keys_with_several_customers": scalar("select count(*) from pred_k where n_customers > 1"),
        "map_rows_without_customer": scalar("select count(*) from pred_k where customer_id is null"),
    }

    def by_table(sql: str) -> dict[str, int]:
        rows = con.execute(f"select s || '/' || t, count(*) from ({sql}) group by 1 order by 1").fetchall()
        return {k: int(v) for k, v in rows}

    missing_by_table = by_table(
        "select s, t from truth_k anti join pred_k using (s, t, r) anti join excluded_k using (s, t, r)")
    extra_by_table = by_table("select s, t from pred_k anti join truth_k using (s, t, r)")

    # group sizes: customers, persons and their intersections
    con.execute("""
        create or replace temp table g_cp as
        select customer, person, count(*) as n from ev group by customer, person
    """)
    con.execute("""
        create or replace temp table g_c as
        select customer, sum(n)::bigint as n, count(*) as n_persons from g_cp group by customer
    """)
    con.execute("""
        create or replace temp table g_p as
        select p.person, p.n, p.n_customers,
               (p.n_customers = 1 and c.n = p.n) as exact
        from (select person, sum(n)::bigint as n, count(*) as n_customers, min(customer) as customer
              from g_cp group by person) p
        join g_c c using (customer)
    """)

    # the whole evaluation is the slice that holds every record
    overall = _slices(con, "select s, t, r, 'all' as label from ev").get("all", _empty_slice())
    pairwise = {k: overall[k] for k in ("precision", "recall", "f1", "true_pairs", "predicted_pairs",
                                        "true_positive_pairs")}
    clusters = {
        "customers": scalar("select count(*) from g_c"),
        "persons": scalar("select count(*) from g_p"),
        "over_merged_customers": scalar("select count(*) from g_c where n_persons > 1"),
        "records_in_over_merged_customers": scalar("select coalesce(sum(n), 0) from g_c where n_persons > 1"),
        "split_persons": scalar("select count(*) from g_p where n_customers > 1"),
        "exact_match_persons": scalar("select count(*) from g_p where exact"),
        "exact_match_rate": None,
        "largest_customer": scalar("select coalesce(max(n), 0) from g_c"),
        "largest_person": scalar("select coalesce(max(n), 0) from g_p"),
        "junk_records": scalar("select count(*) from ev where is_junk"),
        "junk_records_merged": scalar(
            "select count(*) from ev join g_c using (customer) where ev.is_junk and g_c.n > 1"),
    }
    clusters["exact_match_rate"] = _ratio(clusters["exact_match_persons"], clusters["persons"])

    by_hard_case = _slices(con, "select s, t, r, unnest(tags) as label from ev")
    by_source_table = _slices(con, "select s, t, r, s || '/' || t as label from ev")

    excluded = records["excluded_conflicting_duplicate_key"]
    note = (f"metrics on the {records['evaluated']:,} records present in both the map and the truth; "
            f"{records['missing_from_map']:,} truth records missing from the map and "
            f"{records['extra_in_map']:,} map records not in truth are left out; "
            f"{excluded:,} '{QUARANTINE_TAG}' records excluded (expected quarantined)")
    return {
        "records": records,
        "note": note,
        "missing_from_map_by_table": missing_by_table,
        "extra_in_map_by_table": extra_by_table,
        "pairwise": pairwise,
        "clusters": clusters,
        "by_hard_case": by_hard_case,
        "by_source_table": by_source_table,
    }


def _pairwise_of(con: duckdb.DuckDBPyConnection, groups_sql: str) -> dict[str, Any]:
    """Pairwise figures of records put in predicted groups ``pred`` against true groups ``truth``
    (``groups_sql`` yields one row per record with those two columns)."""
    true_pairs, predicted, tp = con.execute(f"""
        with g as ({groups_sql}),
        both_ as (select count(*) as n from g group by pred, truth),
        p as (select count(*) as n from g group by pred),
        t as (select count(*) as n from g group by truth)
        select (select coalesce(sum(n * (n - 1) // 2), 0) from t)::bigint,
               (select coalesce(sum(n * (n - 1) // 2), 0) from p)::bigint,
               (select coalesce(sum(n * (n - 1) // 2), 0) from both_)::bigint
    """).fetchall()[0]
    precision, recall = _ratio(int(tp), int(predicted)), _ratio(int(tp), int(true_pairs))
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall), "true_pairs": int(true_pairs),
            "predicted_pairs": int(predicted), "true_positive_pairs": int(tp)}


def _pairwise_without(con: duckdb.DuckDBPyConnection, keys_sql: str) -> dict[str, Any]:
    """Pairwise figures of the evaluated records (``ev``) without the records ``keys_sql`` lists
    (s, t, r): both sides lose them, as if they had never been loaded."""
    con.execute(f"create or replace temp table left_out_k as select distinct s, t, r from ({keys_sql})")
    left_out = con.execute("select count(*) from ev semi join left_out_k using (s, t, r)").fetchall()[0][0]
    figures = _pairwise_of(con, "select customer as pred, person as truth from ev anti join left_out_k using (s, t, r)")
    return {"records_left_out": int(left_out), **figures}


def _households(con: duckdb.DuckDBPyConnection, schema: str, persons_path: str) -> dict[str, Any]:
    """Households (``customer_households``) against the true households of ``persons.parquet``:
    every evaluated record is in its customer's household and its person's true household (a junk
    record, or a person the file lacks, is a household of its own). Also the same figures with each
    customer alone, what identity resolution by itself gives."""
    con.execute(f"""
        create or replace temp table hh_ev as
        select ev.customer,
               coalesce(ch.household_id, ev.customer) as household,
               coalesce(tp.household_id, ev.person) as true_household
        from ev
        left join wh."{schema}".customer_households ch on ch.customer_id = ev.customer
        left join (select person_id::varchar as person_id, household_id::varchar as household_id
                   from read_parquet({_sql_str(persons_path)})) tp on tp.person_id = ev.person
    """)
    return {
        **_pairwise_of(con, "select household as pred, true_household as truth from hh_ev"),
        "customers_alone": _pairwise_of(con, "select customer as pred, true_household as truth from hh_ev"),
        "households": int(con.execute("select count(distinct household) from hh_ev").fetchall()[0][0]),
        "true_households": int(con.execute("select count(distinct true_household) from hh_ev").fetchall()[0][0]),
    }


def _touching(n: str, k: str) -> str:
    """SQL: pairs among n records that involve at least one of k marked records."""
    return f"({n} * ({n} - 1) // 2 - ({n} - {k}) * ({n} - {k} - 1) // 2)"


def _slices(con: duckdb.DuckDBPyConnection, slice_sql: str) -> dict[str, dict[str, Any]]:
    """Pairwise figures per label for the records listed by ``slice_sql`` (s, t, r, label).

    predicted pairs = customer pairs touching a labelled record, true pairs = person pairs
    touching one, true positives = intersection pairs touching one: so precision answers "of
    the merges involving tag X, how many were right" and recall "of the true links
    involving tag X, how many were found".
    """
    rows = con.execute(f"""
        with sl as (select distinct s, t, r, label from ({slice_sql}) where label is not null),
        x as (select sl.label, ev.customer, ev.person from sl join ev using (s, t, r)),
        x_c as (select label, customer, count(*) as k from x group by all),
        x_p as (select label, person, count(*) as k from x group by all),
        x_cp as (select label, customer, person, count(*) as k from x group by all),
        c as (
            select label, sum({_touching('g.n', 'x_c.k')})::bigint as predicted_pairs,
                   count(*) filter (where g.n_persons > 1) as over_merged_customers
            from x_c join g_c g using (customer) group by label
        ),
        p as (
            select label, count(*) as persons, sum(x_p.k)::bigint as records,
                   sum({_touching('g.n', 'x_p.k')})::bigint as true_pairs,
                   count(*) filter (where g.n_customers > 1) as split_persons,
                   count(*) filter (where g.exact) as exact_match_persons
            from x_p join g_p g using (person) group by label
        ),
        cp as (
            select label, sum({_touching('g.n', 'x_cp.k')})::bigint as true_positive_pairs
            from x_cp join g_cp g using (customer, person) group by label
        )
        select label, p.records, p.persons, p.true_pairs, c.predicted_pairs, cp.true_positive_pairs,
               c.over_merged_customers, p.split_persons, p.exact_match_persons
        from p join c using (label) join cp using (label)
        order by label
    """).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for (label, records, persons, true_pairs, predicted, tp, over, split, exact) in rows:
        true_pairs, predicted, tp = int(true_pairs), int(predicted), int(tp)
        precision, recall = _ratio(tp, predicted), _ratio(tp, true_pairs)
        out[label] = {
            "records": int(records), "persons": int(persons),
            "precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "true_pairs": true_pairs, "predicted_pairs": predicted, "true_positive_pairs": tp,
            "false_positive_pairs": predicted - tp, "false_negative_pairs": true_pairs - tp,
            "over_merged_customers": int(over), "split_persons": int(split),
            "exact_match_rate": _ratio(int(exact), int(persons)),
        }
    return out


def _empty_slice() -> dict[str, Any]:
    return {"precision": None, "recall": None, "f1": None, "true_pairs": 0, "predicted_pairs": 0,
            "true_positive_pairs": 0}


# --------------------------------------------------------------------------- helpers


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    return con


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def _require(columns, needed, what: str) -> None:
    missing = [c for c in needed if c not in columns]
    if missing:
        raise ValueError(f"{what} frame lacks column(s) {missing}; has {list(columns)}")


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _truth_persons_path(landing_path: str | Path) -> str | None:
    """The truth's persons (with household_id), a file or a folder of parquet parts, or None."""
    file, folder = Path(landing_path) / "_truth" / "persons.parquet", Path(landing_path) / "_truth" / "persons"
    for d in (file, folder):
        if d.is_dir():
            return str(d / "**" / "*.parquet")
    return str(file) if file.is_file() else None


def _truth_records_path(landing_path: str | Path) -> str:
    base = Path(landing_path) / "_truth"
    file, folder = base / "records.parquet", base / "records"
    if file.is_file():
        return str(file)
    for d in (file, folder):  # a folder of parquet parts is fine too
        if d.is_dir():
            return str(d / "**" / "*.parquet")
    raise FileNotFoundError(f"no ground truth at {file} (only synthetic and benchmark landings have one)")


def _has_hard_cases(con: duckdb.DuckDBPyConnection, truth_path: str) -> bool:
    cols = con.execute(f"describe select * from read_parquet({_sql_str(truth_path)}, union_by_name = true)").fetchall()
    return any(c[0] == "hard_cases" for c in cols)


def _find_map(con: duckdb.DuckDBPyConnection, relation: str | None) -> tuple[str, str]:
    if relation:
        parts = relation.split(".")
        schema, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])
    else:
        schema, name = None, MAP_RELATION
    rows = con.execute(
        "select table_schema from information_schema.tables "
        "where table_catalog = 'wh' and table_name = ? and (? is null or table_schema = ?) "
        "order by table_schema <> 'main', table_schema",
        [name, schema, schema],
    ).fetchall()
    if not rows:
        raise LookupError(f"the warehouse has no relation {relation or MAP_RELATION!r}: build the marts first")
    return rows[0][0], name


def _fmt(x: float | None, digits: int = 5) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _slice_header() -> str:
    return (f"  {'slice':<32}{'records':>9}{'true pairs':>12}{'pred pairs':>12}{'FP':>8}{'FN':>8}"
            f"{'precision':>11}{'recall':>9}{'over-m.':>9}{'split':>7}")


def _slice_row(label: str, m: dict[str, Any]) -> str:
    return (f"  {label[:31]:<32}{m['records']:>9,}{m['true_pairs']:>12,}{m['predicted_pairs']:>12,}"
            f"{m['false_positive_pairs']:>8,}{m['false_negative_pairs']:>8,}"
            f"{_fmt(m['precision'], 4):>11}{_fmt(m['recall'], 4):>9}"
            f"{m['over_merged_customers']:>9,}{m['split_persons']:>7,}")


def _sort_key(m: dict[str, Any]) -> tuple:
    # worst first: most false pairs of either kind, then by name (stable)
    return (-(m["false_positive_pairs"] + m["false_negative_pairs"]), -m["records"])
