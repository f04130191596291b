with

source as (
    {{ landing_select('email', 'subscribers') }}
),

typed as (
    select
        {{ clean_text('subscriber_id') }} as subscriber_id,
        {{ clean_email('email') }} as email,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_enum('status') }} as status,
        {{ plausible_timestamp('opted_in_at') }} as opted_in_at,
        {{ plausible_timestamp('confirmed_at') }} as confirmed_at,
        {{ plausible_timestamp('unsubscribed_at') }} as unsubscribed_at,
        {{ clean_text('signup_source') }} as signup_source,
        {{ flag_list({
            'opted_in_at': is_rejected('opted_in_at', plausible_timestamp('opted_in_at')),
            'confirmed_at': is_rejected('confirmed_at', plausible_timestamp('confirmed_at')),
            'unsubscribed_at': is_rejected('unsubscribed_at', plausible_timestamp('unsubscribed_at')),
        }) }} as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when subscriber_id is null then 'missing_id'
            when email is null then 'missing_value:email'
            when status is null then 'missing_value:status'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'subscriber_id') }}
)

select * from deduplicated
