-- Governance rule 15 for customer_360: per currency, the customers' net revenue
-- (customer_360.net_revenue_by_currency) plus the revenue of sales that belong to no customer
-- (anonymous till sales, cards unknown to the loyalty system) equals the staged orders minus
-- refunds. Computed from staging, independently of int_orders__unified. Returns the currencies
-- that do not reconcile.
with

shop_orders as (
    select * from {{ ref('stg_shop__orders') }}
),

shop_refunds as (
    select * from {{ ref('stg_shop__refunds') }}
),

pos_transactions as (
    select * from {{ ref('stg_pos__transactions') }}
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

refunds_per_order as (
    select
        order_id,
        sum(refund_amount) as refunded_amount
    from shop_refunds
    group by order_id
),

staged_sales as (
    -- captured, not cancelled shop orders net of refunds, and every till sale
    select
        shop_orders.currency,
        shop_orders.total_amount - coalesce(refunds_per_order.refunded_amount, 0) as net_amount,
        {{ dbt.concat(["'shop:orders:'", 'shop_orders.order_id']) }} as identity_record_key
    from shop_orders
    left join refunds_per_order
        on shop_orders.order_id = refunds_per_order.order_id
    where
        shop_orders.cancelled_at is null
        and shop_orders.financial_status in ('paid', 'partially_refunded', 'refunded')

    union all

    select
        currency,
        total_amount as net_amount,
        {{ dbt.concat(["'loyalty:members:'", 'loyalty_card_id']) }} as identity_record_key
    from pos_transactions
),

staged as (
    select
        staged_sales.currency,
        sum(staged_sales.net_amount) as staged_net,
        sum(case when identity_map.record_key is null then staged_sales.net_amount else 0 end) as unassigned_net
    from staged_sales
    left join identity_map
        on staged_sales.identity_record_key = identity_map.record_key
    group by staged_sales.currency
),

customer_revenue as (
    select
        map_key as currency,
        sum(map_value) as customer_net
    from ({{ select_map_entries(ref('customer_360'), 'net_revenue_by_currency') }}) as entries
    group by map_key
),

compared as (
    select
        coalesce(staged.currency, customer_revenue.currency) as currency,
        coalesce(staged.staged_net, 0) as staged_net,
        coalesce(staged.unassigned_net, 0) as unassigned_net,
        coalesce(customer_revenue.customer_net, 0) as customer_net
    from staged
    full outer join customer_revenue
        on staged.currency = customer_revenue.currency
),

unreconciled as (
    select *
    from compared
    where abs(staged_net - unassigned_net - customer_net) > 0.005
)

select * from unreconciled
