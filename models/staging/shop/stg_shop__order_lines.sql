with

base as (
    select * from {{ ref('base_shop__order_lines') }}
),

staged as (
    select
        order_line_id,
        order_id,
        sku,
        product_name,
        category,
        quantity,
        unit_price,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
