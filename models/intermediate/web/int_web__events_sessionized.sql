{#-
    Every staged web event with its session: a visitor's (anonymous_id's) next event more than var
    web_session_inactivity_minutes after the previous one starts a new session. One row per event;
    int_web__sessions summarises it per session. The event belongs to the customer of its visitor's
    identity record (`web_record_key`, `web:events:<anonymous_id>`), including events from before
    the visitor logged in: the models that need the customer join it on that key. Sessions do not
    depend on identity, so this model (13.5M events at 1M persons) is built while identity
    resolution runs. See the `web_sessions` doc block.
-#}
{%- set inactivity_minutes = var('web_session_inactivity_minutes', 30) -%}

with

web_events as (
    select * from {{ ref('stg_web__events') }}
),

events_lagged as (
    -- one ordering per visitor, used twice: the previous event's time and the event's position
    select
        event_id,
        anonymous_id,
        shop_customer_id,
        event_type,
        occurred_at,
        page_url,
        referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        sku,
        device_type,
        lag(occurred_at) over (
            partition by anonymous_id
            order by occurred_at, event_id
        ) as previous_occurred_at,
        row_number() over (
            partition by anonymous_id
            order by occurred_at, event_id
        ) as visitor_event_number
    from web_events
),

events_flagged as (
    select
        *,
        case
            when previous_occurred_at is null then 1
            when occurred_at > {{ dbt.dateadd('minute', inactivity_minutes, 'previous_occurred_at') }} then 1
            else 0
        end as is_session_start
    from events_lagged
),

events_ranked as (
    -- the session number counts the session starts so far; the event's rank in its session is
    -- its position after the session's first event (one more sort, not two: at 1M persons this
    -- model sorts 13.5M events)
    select
        *,
        sum(is_session_start) over (
            partition by anonymous_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number,
        visitor_event_number + 1 - max(case when is_session_start = 1 then visitor_event_number end) over (
            partition by anonymous_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as event_rank
    from events_flagged
),

final as (
    select
        cast(events_ranked.event_id as varchar) as event_id,
        cast(
            {{ dbt.concat(['events_ranked.anonymous_id', "':'", 'cast(events_ranked.session_number as varchar)']) }}
            as varchar
        ) as session_id,
        cast(events_ranked.anonymous_id as varchar) as anonymous_id,
        cast(events_ranked.session_number as bigint) as session_number,
        cast(events_ranked.event_rank as bigint) as event_rank,
        cast({{ dbt.concat(["'web:events:'", 'events_ranked.anonymous_id']) }} as varchar) as web_record_key,
        cast(events_ranked.shop_customer_id as varchar) as shop_customer_id,
        cast(events_ranked.event_type as varchar) as event_type,
        cast(events_ranked.occurred_at as timestamp) as occurred_at,
        cast(events_ranked.page_url as varchar) as page_url,
        cast(events_ranked.referrer as varchar) as referrer,
        cast(events_ranked.utm_source as varchar) as utm_source,
        cast(events_ranked.utm_medium as varchar) as utm_medium,
        cast(events_ranked.utm_campaign as varchar) as utm_campaign,
        cast(events_ranked.sku as varchar) as sku,
        cast(events_ranked.device_type as varchar) as device_type
    from events_ranked
)

select * from final
