"""Stable customer ids with history: a thin adapter over scv.stable_ids.

The model reads its own previous contents (the last build's assignment) before replacing them,
so ids survive rebuilds: see scv/stable_ids.py for the merge / split rules. Deleting the table
(or the warehouse) starts the history afresh; the ids are then re-derived from the same inputs.
"""

from datetime import datetime, timezone

from scv.stable_ids import assign


def model(dbt, session):
    dbt.config(materialized="table")
    clusters = dbt.ref("int_identity__clusters").df()
    this = dbt.this
    exists = session.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [this.schema, this.identifier],
    ).fetchall()[0][0]
    previous = session.sql(f"select * from {this}").df() if exists else None
    build_at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    history, _changes = assign(clusters, previous, build_at)
    return history
