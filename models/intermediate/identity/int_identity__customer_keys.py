"""Stable customer ids with history: a thin adapter over scv.stable_ids.

The model reads its own previous contents (the last build's assignment) before replacing them,
so ids survive rebuilds: see scv/stable_ids.py for the merge / split rules. The table is updated
in place (incremental, delete+insert on record_key and valid_from): a build writes only the periods
it closes and opens. Deleting the table (or the warehouse) starts the history afresh; the ids are
then re-derived from the same inputs. --full-refresh rewrites the table from the history it holds.
The assignment is SQL on the warehouse connection (scv.stable_ids.assign_sql): no record passes
through pandas.
"""

from datetime import datetime, timezone

from scv.identity import has_previous
from scv.stable_ids import HISTORY_COLUMNS, assign_sql


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["record_key", "valid_from"], incremental_strategy="delete+insert",
               on_schema_change="fail")
    clusters = dbt.ref("int_identity__clusters")
    history = str(dbt.this) if has_previous(session, dbt.this, HISTORY_COLUMNS) else None
    if dbt.is_incremental and history is None:
        raise ValueError(f"{dbt.this} exists without the history columns {HISTORY_COLUMNS}: the ids cannot be "
                         "kept from it; rebuild it with --full-refresh (ids are then issued afresh)")
    build_at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    return assign_sql(session, f"({clusters.sql_query()})", history, build_at, changes_only=dbt.is_incremental)
