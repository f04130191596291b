"""Identity records with match keys: a thin adapter over scv.normalize (the logic is unit-tested there).

The model reads its own previous contents before replacing them, for two things:
- when each record's match keys last changed (scv.identity.stamp_sql):
  int_identity__fuzzy_edges looks for new candidate pairs only around records changed since it last ran;
- the emails and phones it normalized then (scv.normalize.normalize_records(known=)), reused when
  the reference seeds and the code are the same (normalized_with): the result is the same, faster.
Deleting the table stamps every record as new and normalizes everything again.
"""

from datetime import datetime, timezone

from scv.identity import MATCH_KEY_HISTORY_COLUMNS, has_previous, stamp_sql
from scv.normalize import KNOWN_COLUMNS, Reference, normalization_signature, normalize_records


def model(dbt, session):
    dbt.config(materialized="table")
    reference = Reference.from_frames(
        nickname_pairs=dbt.ref("nickname_pairs").df(),
        blocked_identifier_values=dbt.ref("blocked_identifier_values").df(),
        email_domain_typos=dbt.ref("email_domain_typos").df(),
        email_provider_rules=dbt.ref("email_provider_rules").df(),
        country_phone_defaults=dbt.ref("country_phone_defaults").df(),
    )
    signature = normalization_signature(reference)
    previous = None
    known = None
    if has_previous(session, dbt.this, [*MATCH_KEY_HISTORY_COLUMNS, *KNOWN_COLUMNS, "normalized_with"]):
        previous = str(dbt.this)
        known = session.sql(f"select {', '.join(KNOWN_COLUMNS)} from {previous} where normalized_with = ?",
                            params=[signature]).df()
    records = normalize_records(dbt.ref("int_identity__records_unioned").df(), reference, known=known)
    records["normalized_with"] = signature
    session.register("scv_normalized_records", records)
    build_at = datetime.now(timezone.utc).replace(tzinfo=None)
    return stamp_sql(session, "scv_normalized_records", previous, build_at)
