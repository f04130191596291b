-- The purchases the CLV models see: revenue orders (web shop and tills) of a resolved customer, with
-- their money in the reporting currency. Revenue is defined once, in int_orders__unified.
with

orders as (
    select * from {{ ref('int_orders__unified') }}
),

final as (
    select
        order_key,
        customer_id,
        ordered_at,
        net_revenue_reporting as amount
    from orders
    where
        is_revenue
        and customer_id is not null
)

select * from final
