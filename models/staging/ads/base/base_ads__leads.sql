with

source as (
    {{ landing_select('ads', 'leads') }}
),

typed as (
    select
        {{ clean_text('lead_id') }} as lead_id,
        {{ clean_enum('platform') }} as platform,
        {{ clean_text('campaign') }} as campaign,
        {{ clean_text('full_name') }} as full_name,
        {{ clean_email('email') }} as email,
        {{ clean_text('phone') }} as phone,
        {{ plausible_timestamp('created_at') }} as created_at,
        cast(null as {{ dbt.type_string() }}) as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when lead_id is null then 'missing_id'
            when created_at is null then 'invalid_timestamp:created_at'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'lead_id') }}
)

select * from deduplicated
