with

source as (
    {{ landing_select('loyalty', 'members') }}
),

typed as (
    select
        {{ clean_text('card_id') }} as card_id,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_email('email') }} as email,
        {{ clean_text('phone') }} as phone,
        {{ parse_date('date_of_birth') }} as date_of_birth,
        {{ clean_postcode('postcode') }} as postcode,
        {{ plausible_timestamp('enrolled_at') }} as enrolled_at,
        {{ clean_enum('tier') }} as tier,
        {{ parse_integer('points_balance') }} as points_balance,
        {{ flag_list({
            'date_of_birth': is_rejected('date_of_birth', parse_date('date_of_birth')),
            'points_balance': is_rejected('points_balance', parse_integer('points_balance')),
        }) }} as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when card_id is null then 'missing_id'
            when enrolled_at is null then 'invalid_timestamp:enrolled_at'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'card_id') }}
)

select * from deduplicated
