with

base as (
    select * from {{ ref('base_privacy__requests') }}
),

staged as (
    select
        request_id,
        request_type,
        subject_type,
        subject_value,
        received_at,
        verified_at,
        completed_at,
        status,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
