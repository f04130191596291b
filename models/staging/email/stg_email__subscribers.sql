with

base as (
    select * from {{ ref('base_email__subscribers') }}
),

flagged as (
    select
        *,
        {{ is_erased_record({'email': 'email', 'email_subscriber': 'subscriber_id'}) }} as is_erased
    from base
    where _quarantine_reason is null
),

staged as (
    select
        subscriber_id,
        {{ null_if_erased('email') }} as email,
        {{ null_if_erased(is_valid_email('email')) }} as is_email_valid,
        {{ null_if_erased('first_name') }} as first_name,
        status,
        opted_in_at,
        confirmed_at,
        unsubscribed_at,
        signup_source,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
