with

base as (
    select * from {{ ref('base_support__tickets') }}
),

staged as (
    select
        ticket_id,
        full_name,
        email,
        {{ is_valid_email('email') }} as is_email_valid,
        phone,
        channel,
        subject,
        status,
        created_at,
        solved_at,
        satisfaction_score,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
