with

source as (
    {{ landing_select('shop', 'order_lines') }}
),

typed as (
    select
        {{ clean_text('order_line_id') }} as order_line_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('sku') }} as sku,
        {{ clean_text('product_name') }} as product_name,
        {{ clean_text('category') }} as category,
        {{ bounded_integer('quantity', min_value=0) }} as quantity,
        {{ plausible_money('unit_price') }} as unit_price,
        cast(null as {{ dbt.type_string() }}) as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when order_line_id is null then 'missing_id'
            when unit_price is null then 'invalid_amount:unit_price'
            when quantity is null then 'invalid_value:quantity'
            when order_id is null then 'missing_value:order_id'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'order_line_id') }}
)

select * from deduplicated
