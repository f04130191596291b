with

base as (
    select * from {{ ref('base_shop__orders') }}
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
        order_id,
        {{ null_if_erased('shop_customer_id') }} as shop_customer_id,
        {{ null_if_erased('email') }} as email,
        {{ null_if_erased(is_valid_email('email')) }} as is_email_valid,
        created_at,
        currency,
        total_amount,
        subtotal_amount,
        discount_amount,
        tax_amount,
        financial_status,
        cancelled_at,
        {{ null_if_erased('first_name') }} as first_name,
        {{ null_if_erased('last_name') }} as last_name,
        {{ null_if_erased('phone') }} as phone,
        {{ null_if_erased('shipping_street') }} as shipping_street,
        {{ null_if_erased('shipping_city') }} as shipping_city,
        {{ null_if_erased('shipping_postcode') }} as shipping_postcode,
        shipping_country,
        {{ null_if_erased('landing_site') }} as landing_site,
        sales_channel,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
