with

base as (
    select * from {{ ref('base_support__tickets') }}
),

flagged as (
    select
        *,
        {{ is_erased_record({'email': 'email', 'phone': 'phone'}) }} as is_erased
    from base
    where _quarantine_reason is null
),

staged as (
    select
        ticket_id,
        {{ null_if_erased('full_name') }} as full_name,
        {{ null_if_erased('email') }} as email,
        {{ null_if_erased(is_valid_email('email')) }} as is_email_valid,
        {{ null_if_erased('phone') }} as phone,
        channel,
        {{ null_if_erased('subject') }} as subject,
        status,
        created_at,
        solved_at,
        satisfaction_score,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
