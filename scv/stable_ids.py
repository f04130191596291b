"""Stable customer ids across builds, with history.

Rules (architecture.md, "Identity resolution", step 5):
- a cluster whose records carried one customer id in the previous build keeps it;
- a merge keeps the *oldest* id (the one first issued) and records the others as merged into it;
- a split leaves the id with the part holding most of its previous records (ties: the part whose
  smallest record key sorts first); the other parts get new ids;
- a new cluster gets a new id derived from its smallest record key, so a rebuild from nothing
  with the same inputs gives the same ids.

`history` is the model's own previous contents: one row per (record_key, customer_id) period with
valid_from / valid_to (NULL = current). Records whose assignment did not change keep their row.

The work is SQL on DuckDB (`assign_sql`: on the warehouse connection itself, so millions of
records never pass through pandas: the pandas version took 67 s at 1M persons with a history);
`assign` runs the same SQL on frames, for tests and scripts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb
import pandas as pd

HISTORY_COLUMNS = ["record_key", "customer_id", "customer_first_issued_at", "valid_from", "valid_to"]
CHANGE_COLUMNS = ["build_at", "change_type", "customer_id", "related_customer_id", "record_count"]

_NO_HISTORY = ("(select null::varchar as record_key, null::varchar as customer_id, "
               "null::timestamp as customer_first_issued_at, null::timestamp as valid_from, "
               "null::timestamp as valid_to where false)")


def new_customer_id(seed_key: str, taken: set[str]) -> str:
    salt = 0
    while True:
        digest = hashlib.sha256(f"{seed_key}#{salt}".encode()).hexdigest()[:16]
        candidate = f"cus_{digest}"
        if candidate not in taken:
            return candidate
        salt += 1


def _ctes(clusters: str, history: str, build_at: str, ids: str | None = None) -> str:
    """The assignment as CTEs over two relations (table names or parenthesized queries).

    ids: a relation (cluster_key, customer_id) holding every cluster's id, computed before from
    these CTEs (`assign_sql`), or None to compute them here: a new cluster's id is the first
    candidate of `new_customer_id` (salt 0).
    """
    computed = """
        select cluster_key, previous_id as customer_id from candidates where survival_rank = 1
        union all
        select cluster_key, 'cus_' || left(sha256(cluster_key || '#0'), 16) as customer_id from new_clusters"""
    cluster_ids = f"select cluster_key, customer_id from {ids}" if ids else computed
    return f"""
    with
    clusters as (
        select cast(record_key as varchar) as record_key, cast(cluster_key as varchar) as cluster_key
        from {clusters}
    ),
    history as (
        select cast(record_key as varchar) as record_key, cast(customer_id as varchar) as customer_id,
               cast(customer_first_issued_at as timestamp) as customer_first_issued_at,
               cast(valid_from as timestamp) as valid_from, cast(valid_to as timestamp) as valid_to
        from {history}
    ),
    issued as (
        select customer_id, min(customer_first_issued_at) as issued_at from history group by customer_id
    ),
    marked as (
        select clusters.*, history.customer_id as previous_id
        from clusters left join history on history.record_key = clusters.record_key and history.valid_to is null
    ),
    -- each previous id stays with the cluster holding most of its records (ties: smallest cluster key)
    holders as (
        select previous_id, cluster_key
        from marked
        where previous_id is not null
        group by previous_id, cluster_key
        qualify row_number() over (partition by previous_id order by count(*) desc, cluster_key) = 1
    ),
    -- a cluster holding several previous ids (a merge) keeps the oldest
    candidates as (
        select
            holders.cluster_key, holders.previous_id,
            row_number() over (partition by holders.cluster_key
                               order by coalesce(issued.issued_at, {build_at}), holders.previous_id) as survival_rank
        from holders left join issued on issued.customer_id = holders.previous_id
    ),
    new_clusters as (
        select distinct cluster_key from clusters
        where cluster_key not in (select cluster_key from holders)
    ),
    cluster_ids as ({cluster_ids}
    ),
    assigned as (
        select marked.record_key, marked.cluster_key, marked.previous_id, cluster_ids.customer_id
        from marked join cluster_ids on cluster_ids.cluster_key = marked.cluster_key
    ),
    -- a part split off an existing customer is logged as a split, not as new
    split_parts as (
        select distinct cluster_key from marked where previous_id is not null
        except
        select cluster_key from holders
    )
    """


def _history_sql(build_at: str, changes_only: bool = False) -> str:
    """The new history; with changes_only, only its rows that differ from `history`: the periods
    this build closes (with their valid_to) and the ones it opens."""
    closing = "history.valid_to is null and assigned.customer_id is distinct from history.customer_id"
    kept = "where " + closing if changes_only else ""
    return f"""
    select
        history.record_key, history.customer_id, history.customer_first_issued_at, history.valid_from,
        case when {closing} then {build_at} else history.valid_to end as valid_to
    from history
    left join assigned on assigned.record_key = history.record_key
    {kept}
    union all
    select
        assigned.record_key, assigned.customer_id,
        coalesce(issued.issued_at, {build_at}) as customer_first_issued_at,
        {build_at} as valid_from, null::timestamp as valid_to
    from assigned left join issued on issued.customer_id = assigned.customer_id
    where assigned.previous_id is distinct from assigned.customer_id
    """


def _changes_sql(build_at: str) -> str:
    return f"""
    , counts as (select customer_id, count(*) as n from assigned group by customer_id),
    changes as (
        select cluster_key, survival_rank as position, 'merged' as change_type, previous_id as customer_id,
               first(previous_id) over (partition by cluster_key order by survival_rank) as related_customer_id,
               0 as part
        from candidates
        qualify survival_rank > 1
        union all
        select cluster_key, 1, 'new', customer_id, null, 0
        from cluster_ids
        where cluster_key in (select cluster_key from new_clusters)
          and cluster_key not in (select cluster_key from split_parts)
        union all
        select previous_id, 1, 'split', customer_id, previous_id, 1
        from (select distinct previous_id, customer_id from assigned where previous_id is not null)
        where customer_id <> previous_id
          and previous_id in (
              select previous_id from assigned where previous_id is not null
              group by previous_id having count(distinct customer_id) > 1)
    )
    select {build_at} as build_at, change_type, changes.customer_id, related_customer_id,
           coalesce(counts.n, 0) as record_count
    from changes left join counts on counts.customer_id = changes.customer_id
    order by part, cluster_key, position, changes.customer_id
    """


def assign_sql(con: duckdb.DuckDBPyConnection, clusters: str, history: str | None, build_at: datetime,
               changes: bool = False, changes_only: bool = False) -> duckdb.DuckDBPyRelation:
    """The new history (or, with changes=True, this build's changes) as a relation on `con`.

    changes_only=True gives only the history rows that differ from `history`: the periods this
    build closes and the ones it opens. `history` with these rows put in by (record_key,
    valid_from) is the new history: int_identity__customer_keys updates its table in place.

    clusters: a relation with record_key, cluster_key; history: one with HISTORY_COLUMNS, or None
    for a first build. Each cluster's id is computed once, into the temporary table
    scv_cluster_ids. New ids normally come from SQL (sha256 of the cluster key, as
    `new_customer_id` with salt 0); only if one of those collides with an id already issued or
    with another new one are they computed in Python, salting until free.
    """
    at = f"timestamp '{build_at.isoformat(sep=' ')}'"
    history = history or _NO_HISTORY
    con.execute(f"""create or replace temp table scv_cluster_ids as {_ctes(clusters, history, at)}
        select cluster_key, customer_id, cluster_key in (select cluster_key from new_clusters) as fresh
        from cluster_ids""")
    collisions = con.sql(f"""
        select count(*) from scv_cluster_ids
        where fresh and (customer_id in (select customer_id from {history})
                         or customer_id in (select customer_id from scv_cluster_ids group by customer_id
                                            having count(*) > 1))
    """).fetchall()[0][0]
    if collisions:
        keys = [k for (k,) in con.sql("select cluster_key from scv_cluster_ids where fresh order by cluster_key")
                .fetchall()]
        taken = {i for (i,) in con.sql(f"select distinct customer_id from {history}").fetchall()}
        ids = []
        for key in keys:
            ids.append(new_customer_id(key, taken))
            taken.add(ids[-1])
        con.register("scv_new_customer_ids", pd.DataFrame({"cluster_key": keys, "customer_id": ids}, dtype=object))
        con.execute("""update scv_cluster_ids set customer_id = new.customer_id
            from scv_new_customer_ids as new where new.cluster_key = scv_cluster_ids.cluster_key""")
        con.unregister("scv_new_customer_ids")
    ctes = _ctes(clusters, history, at, "scv_cluster_ids")
    return con.sql(ctes + (_changes_sql(at) if changes else _history_sql(at, changes_only)))


def assign(clusters: pd.DataFrame, history: pd.DataFrame | None, build_at: datetime
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """clusters: record_key, cluster_key. Returns (new history, changes of this build), the history
    sorted by record_key and valid_from."""
    con = duckdb.connect()
    con.register("scv_clusters", clusters[["record_key", "cluster_key"]])
    previous = None
    if history is not None and len(history):
        con.register("scv_history", history[HISTORY_COLUMNS])
        previous = "scv_history"
    new_history = (assign_sql(con, "scv_clusters", previous, build_at)
                   .order("record_key, valid_from").df())
    changes = assign_sql(con, "scv_clusters", previous, build_at, changes=True).df()
    con.close()
    new_history = new_history[HISTORY_COLUMNS].astype({"record_key": "string", "customer_id": "string"})
    for column in ("customer_first_issued_at", "valid_from", "valid_to"):
        new_history[column] = pd.to_datetime(new_history[column])
    changes = changes[CHANGE_COLUMNS].astype({"change_type": "object", "customer_id": "object",
                                              "related_customer_id": "object", "record_count": "int64"})
    return new_history.reset_index(drop=True), changes.reset_index(drop=True)
