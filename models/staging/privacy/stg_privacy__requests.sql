with

base as (
    select * from {{ ref('base_privacy__requests') }}
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
        request_id,
        request_type,
        subject_type,
        {{ null_if_erased('subject_value') }} as subject_value,
        received_at,
        verified_at,
        completed_at,
        status,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
