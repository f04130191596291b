with

source as (
    {{ landing_select('email', 'events') }}
),

typed as (
    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('subscriber_id') }} as subscriber_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_enum('event_type') }} as event_type,
        {{ plausible_timestamp('occurred_at') }} as occurred_at,
        {{ clean_enum('bounce_type') }} as bounce_type,
        {{ clean_text('url') }} as url,
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
            when subscriber_id is null then 'missing_value:subscriber_id'
            when event_type is null then 'missing_value:event_type'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'event_id') }}
)

select * from deduplicated
