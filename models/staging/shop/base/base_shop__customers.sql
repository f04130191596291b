with

source as (
    {{ landing_select('shop', 'customers') }}
),

typed as (
    select
        {{ clean_text('customer_id') }} as shop_customer_id,
        {{ clean_email('email') }} as email,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('phone') }} as phone,
        {{ parse_boolean('accepts_marketing') }} as accepts_marketing,
        {{ clean_text('street') }} as street,
        {{ clean_text('city') }} as city,
        {{ clean_postcode('postcode') }} as postcode,
        {{ clean_text('country') }} as country,
        {{ plausible_timestamp('created_at') }} as created_at,
        {{ plausible_timestamp('updated_at') }} as updated_at,
        {{ flag_list({
            'accepts_marketing': is_rejected('accepts_marketing', parse_boolean('accepts_marketing')),
        }) }} as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when shop_customer_id is null then 'missing_id'
            when created_at is null then 'invalid_timestamp:created_at'
            when updated_at is null then 'invalid_timestamp:updated_at'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'shop_customer_id', 'updated_at') }}
)

select * from deduplicated
