with

source as (
    {{ landing_select('consent', 'events') }}
),

typed as (
    select
        {{ clean_text('consent_event_id') }} as consent_event_id,
        {{ clean_enum('subject_type') }} as subject_type,
        {{ clean_subject_value('subject_value', 'subject_type') }} as subject_value,
        {{ clean_enum('purpose') }} as purpose,
        {{ clean_enum('action') }} as action,
        {{ clean_enum('lawful_basis') }} as lawful_basis,
        {{ plausible_timestamp('occurred_at') }} as occurred_at,
        {{ plausible_timestamp('recorded_at') }} as recorded_at,
        {{ clean_lower('source_system') }} as source_system,
        {{ clean_text('collection_point') }} as collection_point,
        {{ clean_text('notice_version') }} as notice_version,
        {{ clean_enum('method') }} as method,
        {{ plausible_timestamp('doi_confirmed_at') }} as doi_confirmed_at,
        {{ clean_text('evidence_ref') }} as evidence_ref,
        upper({{ clean_text('jurisdiction') }}) as jurisdiction,
        {{ flag_list({
            'doi_confirmed_at': is_rejected('doi_confirmed_at', plausible_timestamp('doi_confirmed_at')),
        }) }} as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when consent_event_id is null then 'missing_id'
            when occurred_at is null then 'invalid_timestamp:occurred_at'
            when recorded_at is null then 'invalid_timestamp:recorded_at'
            when {{ is_unknown_value('subject_type', 'subject_type') }} then 'invalid_value:subject_type'
            when {{ is_unknown_value('purpose', 'consent_purpose') }} then 'invalid_value:purpose'
            when {{ is_unknown_value('action', 'consent_action') }} then 'invalid_value:action'
            when {{ is_unknown_value('lawful_basis', 'lawful_basis') }} then 'invalid_value:lawful_basis'
            when subject_value is null then 'missing_value:subject_value'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'consent_event_id') }}
)

select * from deduplicated
