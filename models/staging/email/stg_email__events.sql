with

base as (
    select * from {{ ref('base_email__events') }}
),

staged as (
    select
        event_id,
        subscriber_id,
        campaign_id,
        event_type,
        occurred_at,
        bounce_type,
        url,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
