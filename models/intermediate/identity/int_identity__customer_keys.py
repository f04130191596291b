"""Stable customer ids with history: a thin adapter over scv.stable_ids.

The model reads its own previous contents (the last build's assignment) before replacing them,
so ids survive rebuilds: see scv/stable_ids.py for the merge / split rules. Deleting the table
(or the warehouse) starts the history afresh; the ids are then re-derived from the same inputs.
"""

from datetime import datetime, timezone

from scv.identity import previous_contents
from scv.stable_ids import HISTORY_COLUMNS, assign


def model(dbt, session):
    dbt.config(materialized="table")
    clusters = dbt.ref("int_identity__clusters").df()
    previous = previous_contents(session, dbt.this, HISTORY_COLUMNS)
    build_at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    history, _changes = assign(clusters, previous, build_at)
    return history
