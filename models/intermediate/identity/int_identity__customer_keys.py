"""Stable customer ids with history: a thin adapter over scv.stable_ids.

The model reads its own previous contents (the last build's assignment) before replacing them,
so ids survive rebuilds: see scv/stable_ids.py for the merge / split rules. Deleting the table
(or the warehouse) starts the history afresh; the ids are then re-derived from the same inputs.
The assignment is SQL on the warehouse connection (scv.stable_ids.assign_sql): no record passes
through pandas.
"""

from datetime import datetime, timezone

from scv.identity import has_previous
from scv.stable_ids import HISTORY_COLUMNS, assign_sql


def model(dbt, session):
    dbt.config(materialized="table")
    clusters = dbt.ref("int_identity__clusters")
    history = str(dbt.this) if has_previous(session, dbt.this, HISTORY_COLUMNS) else None
    build_at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    return assign_sql(session, f"({clusters.sql_query()})", history, build_at)
