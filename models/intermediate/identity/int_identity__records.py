"""Identity records with match keys: a thin adapter over scv.normalize (the logic is unit-tested there).

The model reads its own previous contents (scv.identity.normalized_records_sql):
- records whose unioned row is the same as then (source_row_hash), normalized by the same seeds and
  code (normalized_with), keep their match keys without passing through Python; the other records
  are normalized, reusing the parses of the emails and phones seen before;
- when each record's match keys last changed (scv.identity.stamp_sql):
  int_identity__fuzzy_edges looks for new candidate pairs only around records changed since it last ran.
The table is updated in place (incremental, delete+insert on record_key): a build writes only the
new and changed rows, and the post-hook deletes the records no longer in any source. Deleting the
table (or --full-refresh) normalizes everything again and stamps every record as new; var
identity_incremental: false normalizes everything again (and keeps the stamps).
"""

from datetime import datetime, timezone

from scv.identity import MATCH_KEY_HISTORY_COLUMNS, REUSE_COLUMNS, has_previous, normalized_records_sql, parse_flag
from scv.normalize import KNOWN_COLUMNS, Reference


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="record_key", incremental_strategy="delete+insert",
               on_schema_change="sync_all_columns")
    reference = Reference.from_frames(
        nickname_pairs=dbt.ref("nickname_pairs").df(),
        blocked_identifier_values=dbt.ref("blocked_identifier_values").df(),
        email_domain_typos=dbt.ref("email_domain_typos").df(),
        email_provider_rules=dbt.ref("email_provider_rules").df(),
        country_phone_defaults=dbt.ref("country_phone_defaults").df(),
    )
    incremental = parse_flag(dbt.config.get("incremental_identity"), "identity_incremental")
    required = [*MATCH_KEY_HISTORY_COLUMNS, *KNOWN_COLUMNS, *REUSE_COLUMNS]
    previous = str(dbt.this) if has_previous(session, dbt.this, required) else None
    unioned = dbt.ref("int_identity__records_unioned")
    build_at = datetime.now(timezone.utc).replace(tzinfo=None)
    return normalized_records_sql(session, f"({unioned.sql_query()})", previous, reference, build_at,
                                  reuse_rows=incremental, changes_only=dbt.is_incremental)
