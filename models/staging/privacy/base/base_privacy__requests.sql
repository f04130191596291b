with

source as (
    {{ landing_select('privacy', 'requests') }}
),

typed as (
    select
        {{ clean_text('request_id') }} as request_id,
        {{ clean_enum('request_type') }} as request_type,
        {{ clean_enum('subject_type') }} as subject_type,
        {{ clean_subject_value('subject_value', 'subject_type') }} as subject_value,
        {{ plausible_timestamp('received_at') }} as received_at,
        {{ plausible_timestamp('verified_at') }} as verified_at,
        {{ plausible_timestamp('completed_at') }} as completed_at,
        {{ clean_enum('status') }} as status,
        {{ flag_list({
            'verified_at': is_rejected('verified_at', plausible_timestamp('verified_at')),
            'completed_at': is_rejected('completed_at', plausible_timestamp('completed_at')),
        }) }} as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when request_id is null then 'missing_id'
            when received_at is null then 'invalid_timestamp:received_at'
            when {{ is_unknown_value('request_type', 'privacy_request_type') }} then 'invalid_value:request_type'
            when {{ is_unknown_value('subject_type', 'subject_type') }} then 'invalid_value:subject_type'
            when {{ is_unknown_value('status', 'privacy_request_status') }} then 'invalid_value:status'
            when subject_value is null then 'missing_value:subject_value'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'request_id') }}
)

select * from deduplicated
