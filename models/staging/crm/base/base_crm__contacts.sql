with

source as (
    {{ landing_select('crm', 'contacts') }}
),

typed as (
    select
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_email('email') }} as email,
        {{ clean_text('phone') }} as phone,
        {{ clean_text('company') }} as company,
        {{ clean_text('street') }} as street,
        {{ clean_text('city') }} as city,
        {{ clean_postcode('postcode') }} as postcode,
        {{ clean_text('country') }} as country,
        {{ parse_date('date_of_birth', clean_text('country')) }} as date_of_birth,
        {{ plausible_timestamp('created_at') }} as created_at,
        {{ plausible_timestamp('updated_at') }} as updated_at,
        coalesce({{ parse_boolean('is_deleted') }}, false) as is_deleted,
        {{ clean_text('merged_into_contact_id') }} as merged_into_contact_id,
        {{ flag_list({
            'date_of_birth': is_rejected('date_of_birth', parse_date('date_of_birth', clean_text('country'))),
            'is_deleted': is_rejected('is_deleted', parse_boolean('is_deleted')),
        }) }} as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when contact_id is null then 'missing_id'
            when created_at is null then 'invalid_timestamp:created_at'
            when updated_at is null then 'invalid_timestamp:updated_at'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'contact_id', 'updated_at') }}
)

select * from deduplicated
