with

base as (
    select * from {{ ref('base_shop__customers') }}
),

flagged as (
    select
        *,
        {{ is_erased_record({'email': 'email', 'phone': 'phone', 'shop_customer': 'shop_customer_id'}) }} as is_erased
    from base
    where _quarantine_reason is null
),

staged as (
    select
        shop_customer_id,
        {{ null_if_erased('email') }} as email,
        {{ null_if_erased(is_valid_email('email')) }} as is_email_valid,
        {{ null_if_erased('first_name') }} as first_name,
        {{ null_if_erased('last_name') }} as last_name,
        {{ null_if_erased('phone') }} as phone,
        accepts_marketing,
        {{ null_if_erased('street') }} as street,
        {{ null_if_erased('city') }} as city,
        {{ null_if_erased('postcode') }} as postcode,
        country,
        created_at,
        updated_at,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
