with

base as (
    select * from {{ ref('base_shop__orders') }}
),

staged as (
    select
        order_id,
        shop_customer_id,
        email,
        {{ is_valid_email('email') }} as is_email_valid,
        created_at,
        currency,
        total_amount,
        subtotal_amount,
        discount_amount,
        tax_amount,
        financial_status,
        cancelled_at,
        first_name,
        last_name,
        phone,
        shipping_street,
        shipping_city,
        shipping_postcode,
        shipping_country,
        landing_site,
        sales_channel,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
