with

base as (
    select * from {{ ref('base_consent__events') }}
),

staged as (
    select
        consent_event_id,
        subject_type,
        subject_value,
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
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
