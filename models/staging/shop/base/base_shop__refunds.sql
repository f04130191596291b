with

source as (
    {{ landing_select('shop', 'refunds') }}
),

typed as (
    select
        {{ clean_text('refund_id') }} as refund_id,
        {{ clean_text('order_id') }} as order_id,
        {{ plausible_timestamp('created_at') }} as created_at,
        {{ plausible_money('amount') }} as refund_amount,
        cast(null as {{ dbt.type_string() }}) as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when refund_id is null then 'missing_id'
            when created_at is null then 'invalid_timestamp:created_at'
            when refund_amount is null then 'invalid_amount:amount'
            when order_id is null then 'missing_value:order_id'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'refund_id') }}
)

select * from deduplicated
