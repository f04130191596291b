with

base as (
    select * from {{ ref('base_ads__leads') }}
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
        lead_id,
        platform,
        campaign,
        {{ null_if_erased('full_name') }} as full_name,
        {{ null_if_erased('email') }} as email,
        {{ null_if_erased(is_valid_email('email')) }} as is_email_valid,
        {{ null_if_erased('phone') }} as phone,
        created_at,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
