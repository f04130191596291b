"""Identity records with match keys: a thin adapter over scv.normalize (the logic is unit-tested there)."""

from scv.normalize import Reference, normalize_records


def model(dbt, session):
    dbt.config(materialized="table")
    reference = Reference.from_frames(
        nickname_pairs=dbt.ref("nickname_pairs").df(),
        blocked_identifier_values=dbt.ref("blocked_identifier_values").df(),
        email_domain_typos=dbt.ref("email_domain_typos").df(),
        email_provider_rules=dbt.ref("email_provider_rules").df(),
        country_phone_defaults=dbt.ref("country_phone_defaults").df(),
    )
    records = dbt.ref("int_identity__records_unioned").df()
    return normalize_records(records, reference)
