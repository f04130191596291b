{#-
    Engagement per customer, one row per customer of customer_identity_map, for customer_360:
    store visits (till sales of the customer's loyalty cards), support tickets, email engagement,
    web activity. Aggregates over all history: the retention cut of customer_interactions (rule 6)
    does not apply to aggregates.
    - is_email_bounced: an email address of the customer hard-bounced (a hard bounce event, or the
      email platform cleaned the subscriber).
    - is_email_unsubscribed: a subscription of the customer is unsubscribed (event or status).
    - has_abandoned_cart: the customer's latest add_to_cart was not followed by a shop order within
      var abandoned_cart_hours (only judged once that window has passed by the latest web event).
-#}
{%- set cart_hours = var('abandoned_cart_hours', 24) -%}

with

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

orders as (
    select * from {{ ref('int_orders__unified') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

email_subscribers as (
    select * from {{ ref('stg_email__subscribers') }}
),

email_events as (
    select * from {{ ref('stg_email__events') }}
),

sessions as (
    select * from {{ ref('int_web__sessions') }}
),

web_events as (
    select * from {{ ref('int_web__events_sessionized') }}
),

customers as (
    select distinct customer_id
    from identity_map
),

store_visits as (
    select
        customer_id,
        count(*) as store_visit_count,
        sum(net_revenue_reporting) as store_spend_reporting,
        max(ordered_at) as last_store_visit_at
    from orders
    where
        source_system = 'pos'
        and customer_id is not null
    group by customer_id
),

ticket_customers as (
    select
        identity_map.customer_id,
        tickets.ticket_id,
        tickets.status,
        tickets.solved_at,
        tickets.created_at,
        tickets.satisfaction_score
    from tickets
    inner join identity_map
        on
            identity_map.source_system = 'support'
            and identity_map.source_table = 'tickets'
            and tickets.ticket_id = identity_map.source_record_id
),

last_scores as (
    select
        customer_id,
        satisfaction_score,
        row_number() over (
            partition by customer_id
            order by coalesce(solved_at, created_at) desc, ticket_id desc
        ) as score_rank
    from ticket_customers
    where satisfaction_score is not null
),

support as (
    select
        ticket_customers.customer_id,
        count(*) as support_ticket_count,
        count(
            case
                when
                    ticket_customers.solved_at is null
                    and coalesce(ticket_customers.status, '') not in ('solved', 'closed')
                    then 1
            end
        ) as open_ticket_count,
        max(last_scores.satisfaction_score) as last_satisfaction_score
    from ticket_customers
    left join last_scores
        on
            ticket_customers.customer_id = last_scores.customer_id
            and last_scores.score_rank = 1
    group by ticket_customers.customer_id
),

subscriber_customers as (
    select
        identity_map.customer_id,
        identity_map.source_record_id as subscriber_id
    from identity_map
    where
        identity_map.source_system = 'email'
        and identity_map.source_table = 'subscribers'
),

email_activity as (
    select
        subscriber_customers.customer_id,
        max(case when email_events.event_type = 'open' then email_events.occurred_at end) as last_email_open_at,
        max(case when email_events.event_type = 'click' then email_events.occurred_at end) as last_email_click_at,
        count(case when email_events.event_type = 'bounce' and email_events.bounce_type = 'hard' then 1 end) > 0
            as has_hard_bounce_event,
        count(case when email_events.event_type = 'unsubscribe' then 1 end) > 0 as has_unsubscribe_event
    from email_events
    inner join subscriber_customers
        on email_events.subscriber_id = subscriber_customers.subscriber_id
    group by subscriber_customers.customer_id
),

subscriber_status as (
    select
        subscriber_customers.customer_id,
        count(case when email_subscribers.status = 'cleaned' then 1 end) > 0 as is_cleaned,
        count(case when email_subscribers.status = 'unsubscribed' then 1 end) > 0 as is_unsubscribed
    from email_subscribers
    inner join subscriber_customers
        on email_subscribers.subscriber_id = subscriber_customers.subscriber_id
    group by subscriber_customers.customer_id
),

web_activity as (
    select
        customer_id,
        count(*) as web_session_count,
        max(ended_at) as last_web_visit_at,
        sum(product_view_count) as product_view_count
    from sessions
    where customer_id is not null
    group by customer_id
),

visitor_carts as (
    select
        web_record_key,
        max(occurred_at) as last_add_to_cart_at
    from web_events
    where event_type = 'add_to_cart'
    group by web_record_key
),

visitor_customers as (
    -- a visitor's customer, as its sessions carry it
    select distinct
        web_record_key,
        customer_id
    from sessions
    where customer_id is not null
),

latest_carts as (
    select
        visitor_customers.customer_id,
        max(visitor_carts.last_add_to_cart_at) as last_add_to_cart_at
    from visitor_carts
    inner join visitor_customers
        on visitor_carts.web_record_key = visitor_customers.web_record_key
    group by visitor_customers.customer_id
),

latest_web_event as (
    select max(occurred_at) as latest_web_event_at
    from web_events
),

abandoned_carts as (
    select
        latest_carts.customer_id,
        true as has_abandoned_cart
    from latest_carts
    cross join latest_web_event
    where
        {{ dbt.dateadd('hour', cart_hours, 'latest_carts.last_add_to_cart_at') }}
        <= latest_web_event.latest_web_event_at
        and not exists (
            select 1 as is_ordered
            from orders
            where
                orders.customer_id = latest_carts.customer_id
                and orders.source_system = 'shop'
                and orders.ordered_at >= latest_carts.last_add_to_cart_at
                and orders.ordered_at
                <= {{ dbt.dateadd('hour', cart_hours, 'latest_carts.last_add_to_cart_at') }}
        )
),

final as (
    select
        cast(customers.customer_id as varchar) as customer_id,
        cast(coalesce(store_visits.store_visit_count, 0) as bigint) as store_visit_count,
        cast(coalesce(store_visits.store_spend_reporting, 0) as decimal(18, 2)) as store_spend_reporting,
        cast(store_visits.last_store_visit_at as timestamp) as last_store_visit_at,
        cast(coalesce(support.support_ticket_count, 0) as bigint) as support_ticket_count,
        cast(coalesce(support.open_ticket_count, 0) as bigint) as open_ticket_count,
        cast(support.last_satisfaction_score as integer) as last_satisfaction_score,
        cast(email_activity.last_email_open_at as timestamp) as last_email_open_at,
        cast(email_activity.last_email_click_at as timestamp) as last_email_click_at,
        cast(
            coalesce(email_activity.has_hard_bounce_event, false) or coalesce(subscriber_status.is_cleaned, false)
            as boolean
        ) as is_email_bounced,
        cast(
            coalesce(email_activity.has_unsubscribe_event, false)
            or coalesce(subscriber_status.is_unsubscribed, false)
            as boolean
        ) as is_email_unsubscribed,
        cast(coalesce(web_activity.web_session_count, 0) as bigint) as web_session_count,
        cast(web_activity.last_web_visit_at as timestamp) as last_web_visit_at,
        cast(coalesce(web_activity.product_view_count, 0) as bigint) as product_view_count,
        cast(coalesce(abandoned_carts.has_abandoned_cart, false) as boolean) as has_abandoned_cart
    from customers
    left join store_visits
        on customers.customer_id = store_visits.customer_id
    left join support
        on customers.customer_id = support.customer_id
    left join email_activity
        on customers.customer_id = email_activity.customer_id
    left join subscriber_status
        on customers.customer_id = subscriber_status.customer_id
    left join web_activity
        on customers.customer_id = web_activity.customer_id
    left join abandoned_carts
        on customers.customer_id = abandoned_carts.customer_id
)

select * from final
