with

source as (
    {{ landing_select('support', 'tickets') }}
),

typed as (
    select
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ clean_text('requester_name') }} as full_name,
        {{ clean_email('requester_email') }} as email,
        {{ clean_text('requester_phone') }} as phone,
        {{ clean_enum('channel') }} as channel,
        {{ clean_text('subject') }} as subject,
        {{ clean_enum('status') }} as status,
        {{ plausible_timestamp('created_at') }} as created_at,
        {{ plausible_timestamp('solved_at') }} as solved_at,
        {{ bounded_integer('satisfaction_score', min_value=1, max_value=5) }} as satisfaction_score,
        {{ flag_list({
            'solved_at': is_rejected('solved_at', plausible_timestamp('solved_at')),
            'satisfaction_score': is_rejected('satisfaction_score', bounded_integer('satisfaction_score', min_value=1, max_value=5)),
        }) }} as invalid_fields,
        {{ row_to_json('source') }} as _raw_row
    from source
),

checked as (
    select
        *,
        {{ dbt.hash('_raw_row') }} as _row_hash,
        case
            when ticket_id is null then 'missing_id'
            when created_at is null then 'invalid_timestamp:created_at'
        end as _row_error
    from typed
),

deduplicated as (
    {{ quarantine_duplicates('checked', 'ticket_id') }}
)

select * from deduplicated
