with

base as (
    select * from {{ ref('base_ads__leads') }}
),

staged as (
    select
        lead_id,
        platform,
        campaign,
        full_name,
        email,
        {{ is_valid_email('email') }} as is_email_valid,
        phone,
        created_at,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
