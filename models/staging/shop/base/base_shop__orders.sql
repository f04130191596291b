with

source as (
    {{ landing_select('shop', 'orders') }}
),

typed as (
    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as shop_customer_id,
        {{ clean_email('email') }} as email,
        {{ plausible_timestamp('created_at') }} as created_at,
        {{ clean_currency('currency') }} as currency,
        {{ plausible_money('total_price') }} as total_amount,
        {{ plausible_money('subtotal_price') }} as subtotal_amount,
        {{ plausible_money('total_discounts') }} as discount_amount,
        {{ plausible_money('total_tax') }} as tax_amount,
        {{ clean_enum('financial_status') }} as financial_status,
        {{ plausible_timestamp('cancelled_at') }} as cancelled_at,
        {{ clean_text('billing_first_name') }} as first_name,
        {{ clean_text('billing_last_name') }} as last_name,
        {{ clean_text('billing_phone') }} as phone,
        {{ clean_text('shipping_street') }} as shipping_street,
        {{ clean_text('shipping_city') }} as shipping_city,
        {{ clean_postcode('shipping_postcode') }} as shipping_postcode,
        {{ clean_text('shipping_country') }} as shipping_country,
        {{ clean_text('landing_site') }} as landing_site,
        {{ clean_enum('source_name') }} as sales_channel,
        {{ flag_list({
            'subtotal_amount': is_rejected('subtotal_price', plausible_money('subtotal_price')),
            'discount_amount': is_rejected('total_discounts', plausible_money('total_discounts')),
            'tax_amount': is_rejected('total_tax', plausible_money('total_tax')),
            'cancelled_at': is_rejected('cancelled_at', plausible_timestamp('cancelled_at')),
        }) }} as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when order_id is null then 'missing_id'
            when created_at is null then 'invalid_timestamp:created_at'
            when currency is null then 'invalid_currency'
            when total_amount is null then 'invalid_amount:total_price'
            when {{ is_unknown_value('financial_status', 'financial_status') }} then 'invalid_value:financial_status'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'order_id') }}
)

select * from deduplicated
