with

base as (
    select * from {{ ref('base_shop__customers') }}
),

staged as (
    select
        shop_customer_id,
        email,
        {{ is_valid_email('email') }} as is_email_valid,
        first_name,
        last_name,
        phone,
        accepts_marketing,
        street,
        city,
        postcode,
        country,
        created_at,
        updated_at,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
