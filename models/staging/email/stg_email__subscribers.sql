with

base as (
    select * from {{ ref('base_email__subscribers') }}
),

staged as (
    select
        subscriber_id,
        email,
        {{ is_valid_email('email') }} as is_email_valid,
        first_name,
        status,
        opted_in_at,
        confirmed_at,
        unsubscribed_at,
        signup_source,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
