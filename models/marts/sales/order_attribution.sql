-- Which marketing touches get the credit for each order: first-touch, last-touch and linear
-- credit over the touches of the order's customer in the lookback window before the order
-- (var attribution_lookback_days). An order without a touch in the window gets one
-- 'direct / none' row with all the credit, so every credit column sums to 1 per order.
-- See the `attribution` doc block.
{%- set lookback_days = var('attribution_lookback_days', 30) %}

with

orders as (
    select * from {{ ref('orders') }}
),

touches as (
    select * from {{ ref('int_marketing__touches') }}
),

retention as (
    select * from {{ ref('int_governance__retention_window') }}
),

touches_in_window as (
    select
        orders.order_key,
        orders.customer_id,
        orders.ordered_at,
        orders.net_revenue_reporting,
        touches.touch_key,
        touches.touch_type,
        touches.channel,
        touches.touch_source,
        touches.touch_medium,
        touches.touch_campaign,
        touches.touched_at
    from orders
    inner join touches
        on
            orders.customer_id = touches.customer_id
            and orders.ordered_at >= touches.touched_at
            and {{ dbt.dateadd('day', -lookback_days, 'orders.ordered_at') }} <= touches.touched_at
),

touches_ranked as (
    select
        *,
        row_number() over (
            partition by order_key
            order by touched_at asc, touch_key asc
        ) as touch_position,
        count(*) over (partition by order_key) as touch_count
    from touches_in_window
),

credited as (
    select
        order_key,
        customer_id,
        ordered_at,
        net_revenue_reporting,
        touch_key,
        touch_type,
        channel,
        touch_source,
        touch_medium,
        touch_campaign,
        touched_at,
        touch_position,
        touch_count,
        case when touch_position = 1 then 1.0 else 0.0 end as first_touch_credit,
        case when touch_position = touch_count then 1.0 else 0.0 end as last_touch_credit,
        1.0 / touch_count as linear_credit
    from touches_ranked
),

untouched as (
    select
        orders.order_key,
        orders.customer_id,
        orders.ordered_at,
        orders.net_revenue_reporting,
        'direct / none' as touch_key,
        'none' as touch_type,
        'direct / none' as channel,
        cast(null as varchar) as touch_source,
        cast(null as varchar) as touch_medium,
        cast(null as varchar) as touch_campaign,
        cast(null as timestamp) as touched_at,
        1 as touch_position,
        0 as touch_count,
        1.0 as first_touch_credit,
        1.0 as last_touch_credit,
        1.0 as linear_credit
    from orders
    where not exists (
        select 1 as is_touched
        from touches_in_window
        where touches_in_window.order_key = orders.order_key
    )
),

unioned as (
    select * from credited
    union all
    select * from untouched
),

with_retention as (
    -- a behavioural touch (web session, email click) older than the retention window keeps its
    -- channel and credit but loses its key and time (governance rule 6)
    select
        unioned.*,
        coalesce(
            unioned.touch_type in ('web_session', 'email_click', 'email_click_session')
            and unioned.touched_at < retention.cutoff_at,
            false
        ) as is_expired_detail
    from unioned
    cross join retention
),

final as (
    select
        cast(order_key as varchar) as order_key,
        cast(customer_id as varchar) as customer_id,
        cast(ordered_at as timestamp) as ordered_at,
        cast(
            case
                when is_expired_detail then {{ dbt.concat(["'expired:'", 'cast(touch_position as varchar)']) }}
                else touch_key
            end as varchar
        ) as touch_key,
        cast(touch_type as varchar) as touch_type,
        cast(channel as varchar) as channel,
        cast(touch_source as varchar) as touch_source,
        cast(touch_medium as varchar) as touch_medium,
        cast(touch_campaign as varchar) as touch_campaign,
        cast(case when not is_expired_detail then touched_at end as timestamp) as touched_at,
        cast(
            case
                when not is_expired_detail then {{ dbt.datediff('touched_at', 'ordered_at', 'second') }}
            end / 86400.0 as double
        ) as days_before_order,
        cast(touch_position as bigint) as touch_position,
        cast(touch_count as bigint) as touch_count,
        cast(first_touch_credit as double) as first_touch_credit,
        cast(last_touch_credit as double) as last_touch_credit,
        cast(linear_credit as double) as linear_credit,
        cast(net_revenue_reporting * first_touch_credit as double) as first_touch_revenue_reporting,
        cast(net_revenue_reporting * last_touch_credit as double) as last_touch_revenue_reporting,
        cast(net_revenue_reporting * linear_credit as double) as linear_revenue_reporting
    from with_retention
)

select * from final
