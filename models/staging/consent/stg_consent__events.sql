with

base as (
    select * from {{ ref('base_consent__events') }}
),

flagged as (
    select
        *,
        {{ is_erased_record(subject_identifiers()) }} as is_erased
    from base
    where _quarantine_reason is null
),

staged as (
    select
        consent_event_id,
        subject_type,
        {{ null_if_erased('subject_value') }} as subject_value,
        purpose,
        action,
        lawful_basis,
        occurred_at,
        recorded_at,
        source_system,
        collection_point,
        notice_version,
        method,
        doi_confirmed_at,
        evidence_ref,
        jurisdiction,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
