with

source as (
    {{ landing_select('pos', 'transactions') }}
),

typed as (
    select
        {{ clean_text('transaction_id') }} as transaction_id,
        {{ clean_text('store_id') }} as store_id,
        {{ clean_text('loyalty_card_id') }} as loyalty_card_id,
        {{ plausible_timestamp('occurred_at') }} as occurred_at,
        {{ clean_currency('currency') }} as currency,
        {{ plausible_money('total_amount') }} as total_amount,
        {{ bounded_integer('items_count', min_value=0) }} as items_count,
        {{ clean_enum('payment_method') }} as payment_method,
        {{ flag_list({
            'items_count': is_rejected('items_count', bounded_integer('items_count', min_value=0)),
        }) }} as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when transaction_id is null then 'missing_id'
            when occurred_at is null then 'invalid_timestamp:occurred_at'
            when currency is null then 'invalid_currency'
            when total_amount is null then 'invalid_amount:total_amount'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'transaction_id') }}
)

select * from deduplicated
