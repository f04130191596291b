{#-
    Web sessions, one row per session of int_web__events_sessionized (a visitor's next event more
    than var web_session_inactivity_minutes after the previous one starts a new session). Each
    session belongs to the customer of its visitor's identity record (`web:events:<anonymous_id>`),
    so stitching is retroactive: the pages a visitor saw before logging in belong to the customer
    too. See the `web_sessions` doc block.
-#}
{%- set inactivity_minutes = var('web_session_inactivity_minutes', 30) -%}

with

web_events as (
    select * from {{ ref('int_web__events_sessionized') }}
),

orders as (
    select * from {{ ref('int_orders__unified') }}
),

customer_keys as (
    select * from {{ ref('int_identity__customer_keys') }}
),

current_customers as (
    select
        record_key,
        customer_id
    from customer_keys
    where valid_to is null
),

sessions as (
    select
        session_id,
        anonymous_id,
        session_number,
        web_record_key,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as event_count,
        count(case when event_type = 'page_view' then 1 end) as page_view_count,
        count(case when event_type = 'product_view' then 1 end) as product_view_count,
        count(case when event_type = 'add_to_cart' then 1 end) as add_to_cart_count,
        count(case when event_type = 'checkout_started' then 1 end) as checkout_count,
        max(case when event_rank = 1 then event_id end) as landing_event_id,
        max(case when event_rank = 1 then page_url end) as landing_page,
        max(case when event_rank = 1 then referrer end) as referrer,
        max(case when event_rank = 1 then utm_source end) as landing_utm_source,
        max(case when event_rank = 1 then utm_medium end) as landing_utm_medium,
        max(case when event_rank = 1 then utm_campaign end) as landing_utm_campaign,
        max(case when event_rank = 1 then device_type end) as device_type,
        min({{ url_parameter('page_url', 'mc_eid') }}) as any_email_click_id,
        max(shop_customer_id) as shop_customer_id,
        count(shop_customer_id) > 0 as is_logged_in
    from web_events
    group by session_id, anonymous_id, session_number, web_record_key
),

sessions_with_campaign as (
    select
        sessions.*,
        current_customers.customer_id,
        -- the landing page's own utm parameters when the tracker did not split them out
        coalesce(sessions.landing_utm_source, {{ url_parameter('sessions.landing_page', 'utm_source') }})
            as utm_source,
        coalesce(sessions.landing_utm_medium, {{ url_parameter('sessions.landing_page', 'utm_medium') }})
            as utm_medium,
        coalesce(sessions.landing_utm_campaign, {{ url_parameter('sessions.landing_page', 'utm_campaign') }})
            as utm_campaign,
        coalesce({{ url_parameter('sessions.landing_page', 'mc_eid') }}, sessions.any_email_click_id)
            as email_click_id
    from sessions
    left join current_customers
        on sessions.web_record_key = current_customers.record_key
),

session_orders as (
    -- the first shop order of the session's customer placed during the session or within the
    -- inactivity gap after its last event
    select
        sessions_with_campaign.session_id,
        min(orders.order_key) as order_key
    from sessions_with_campaign
    inner join orders
        on
            sessions_with_campaign.customer_id = orders.customer_id
            and orders.source_system = 'shop'
            and sessions_with_campaign.started_at <= orders.ordered_at
            and {{ dbt.dateadd('minute', inactivity_minutes, 'sessions_with_campaign.ended_at') }}
            >= orders.ordered_at
    group by sessions_with_campaign.session_id
),

final as (
    select
        cast(sessions_with_campaign.session_id as varchar) as session_id,
        cast(sessions_with_campaign.anonymous_id as varchar) as anonymous_id,
        cast(sessions_with_campaign.session_number as bigint) as session_number,
        cast(sessions_with_campaign.web_record_key as varchar) as web_record_key,
        cast(sessions_with_campaign.customer_id as varchar) as customer_id,
        cast(sessions_with_campaign.started_at as timestamp) as started_at,
        cast(sessions_with_campaign.ended_at as timestamp) as ended_at,
        cast(
            {{ dbt.datediff('sessions_with_campaign.started_at', 'sessions_with_campaign.ended_at', 'second') }}
            as bigint
        ) as duration_seconds,
        cast(sessions_with_campaign.event_count as bigint) as event_count,
        cast(sessions_with_campaign.page_view_count as bigint) as page_view_count,
        cast(sessions_with_campaign.product_view_count as bigint) as product_view_count,
        cast(sessions_with_campaign.add_to_cart_count as bigint) as add_to_cart_count,
        cast(sessions_with_campaign.checkout_count as bigint) as checkout_count,
        cast(sessions_with_campaign.landing_event_id as varchar) as landing_event_id,
        cast(sessions_with_campaign.landing_page as varchar) as landing_page,
        cast(sessions_with_campaign.referrer as varchar) as referrer,
        cast(sessions_with_campaign.utm_source as varchar) as utm_source,
        cast(sessions_with_campaign.utm_medium as varchar) as utm_medium,
        cast(sessions_with_campaign.utm_campaign as varchar) as utm_campaign,
        cast(sessions_with_campaign.email_click_id as varchar) as email_click_id,
        cast(sessions_with_campaign.device_type as varchar) as device_type,
        cast(sessions_with_campaign.shop_customer_id as varchar) as shop_customer_id,
        cast(sessions_with_campaign.is_logged_in as boolean) as is_logged_in,
        cast(session_orders.order_key is not null as boolean) as ended_in_order,
        cast(session_orders.order_key as varchar) as order_key
    from sessions_with_campaign
    left join session_orders
        on sessions_with_campaign.session_id = session_orders.session_id
)

select * from final
