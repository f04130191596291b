-- Every order of `orders` has attribution rows, and in each model (first touch, last touch,
-- linear) its credit sums to 1 (the `attribution` doc block). Returns the orders that break it.
with

orders as (
    select * from {{ ref('orders') }}
),

attribution as (
    select * from {{ ref('order_attribution') }}
),

credit_per_order as (
    select
        order_key,
        sum(first_touch_credit) as first_touch_total,
        sum(last_touch_credit) as last_touch_total,
        sum(linear_credit) as linear_total
    from attribution
    group by order_key
),

final as (
    select
        orders.order_key,
        credit_per_order.first_touch_total,
        credit_per_order.last_touch_total,
        credit_per_order.linear_total
    from orders
    left join credit_per_order
        on orders.order_key = credit_per_order.order_key
    where
        credit_per_order.order_key is null
        or abs(credit_per_order.first_touch_total - 1) > 1e-9
        or abs(credit_per_order.last_touch_total - 1) > 1e-9
        or abs(credit_per_order.linear_total - 1) > 1e-9
)

select * from final
