with

base as (
    select * from {{ ref('base_email__events') }}
),

flagged as (
    select
        *,
        {{ is_erased_record({'email_subscriber': 'subscriber_id'}) }} as is_erased
    from base
    where _quarantine_reason is null
),

staged as (
    select
        event_id,
        subscriber_id,
        campaign_id,
        event_type,
        occurred_at,
        bounce_type,
        {{ null_if_erased('url') }} as url,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
