with

source as (
    {{ landing_select('web', 'events') }}
),

typed as (
    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('user_id') }} as shop_customer_id,
        {{ clean_enum('event_type') }} as event_type,
        {{ plausible_timestamp('occurred_at') }} as occurred_at,
        {{ clean_text('page_url') }} as page_url,
        {{ clean_text('referrer') }} as referrer,
        {{ clean_lower('utm_source') }} as utm_source,
        {{ clean_lower('utm_medium') }} as utm_medium,
        {{ clean_text('utm_campaign') }} as utm_campaign,
        {{ clean_text('product_sku') }} as sku,
        {{ clean_enum('device_type') }} as device_type,
        {{ clean_text('ip_address') }} as ip_address,
        cast(null as {{ dbt.type_string() }}) as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when event_id is null then 'missing_id'
            when occurred_at is null then 'invalid_timestamp:occurred_at'
            when anonymous_id is null then 'missing_value:anonymous_id'
            when event_type is null then 'missing_value:event_type'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'event_id') }}
)

select * from deduplicated
