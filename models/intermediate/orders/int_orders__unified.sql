-- One row per sale, web shop and in-store tills together, with the customer it belongs to and its
-- money net of refunds and cancellations. The single definition of revenue that every mart
-- (orders, customer_360, customer_clv) builds on: see the `order_revenue` doc block.
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

customer_keys as (
    select * from {{ ref('int_identity__customer_keys') }}
),

currency_rates as (
    select * from {{ ref('currency_rates') }}
),

current_customers as (
    select
        record_key,
        customer_id
    from customer_keys
    where valid_to is null
),

refunds_per_order as (
    select
        order_id,
        count(*) as refund_count,
        sum(refund_amount) as refunded_amount,
        max(created_at) as last_refunded_at
    from shop_refunds
    group by order_id
),

shop as (
    select
        {{ dbt.concat(["'shop:'", 'shop_orders.order_id']) }} as order_key,
        'shop' as source_system,
        shop_orders.order_id as source_order_id,
        {{ dbt.concat(["'shop:orders:'", 'shop_orders.order_id']) }} as identity_record_key,
        shop_orders.shop_customer_id,
        cast(null as varchar) as loyalty_card_id,
        shop_orders.created_at as ordered_at,
        shop_orders.currency,
        shop_orders.total_amount as gross_amount,
        coalesce(refunds_per_order.refunded_amount, 0) as refunded_amount,
        coalesce(refunds_per_order.refund_count, 0) as refund_count,
        refunds_per_order.last_refunded_at,
        shop_orders.financial_status,
        shop_orders.cancelled_at,
        coalesce(shop_orders.sales_channel, 'web') as sales_channel,
        cast(null as varchar) as store_id,
        shop_orders.landing_site,
        (
            shop_orders.cancelled_at is not null
            or shop_orders.financial_status = 'voided'
        ) as is_cancelled
    from shop_orders
    left join refunds_per_order
        on shop_orders.order_id = refunds_per_order.order_id
),

pos as (
    select
        {{ dbt.concat(["'pos:'", 'transaction_id']) }} as order_key,
        'pos' as source_system,
        transaction_id as source_order_id,
        case
            when loyalty_card_id is not null
                then {{ dbt.concat(["'loyalty:members:'", 'loyalty_card_id']) }}
        end as identity_record_key,
        cast(null as varchar) as shop_customer_id,
        loyalty_card_id,
        occurred_at as ordered_at,
        currency,
        total_amount as gross_amount,
        cast(0 as decimal(18, 2)) as refunded_amount,
        0 as refund_count,
        cast(null as timestamp) as last_refunded_at,
        'paid' as financial_status,
        cast(null as timestamp) as cancelled_at,
        'store' as sales_channel,
        store_id,
        cast(null as varchar) as landing_site,
        false as is_cancelled
    from pos_transactions
),

unioned as (
    select * from shop
    union all
    select * from pos
),

with_revenue as (
    select
        unioned.order_key,
        unioned.source_system,
        unioned.source_order_id,
        unioned.identity_record_key,
        current_customers.customer_id,
        unioned.shop_customer_id,
        unioned.loyalty_card_id,
        unioned.ordered_at,
        unioned.currency,
        unioned.gross_amount,
        unioned.refunded_amount,
        unioned.refund_count,
        unioned.last_refunded_at,
        unioned.financial_status,
        unioned.cancelled_at,
        unioned.is_cancelled,
        unioned.sales_channel,
        unioned.store_id,
        unioned.landing_site,
        currency_rates.rate_to_reporting,
        -- revenue is recognised for captured payments that were not cancelled
        (
            not unioned.is_cancelled
            and unioned.financial_status in ('paid', 'partially_refunded', 'refunded')
        ) as is_revenue,
        case
            when
                not unioned.is_cancelled
                and unioned.financial_status in ('paid', 'partially_refunded', 'refunded')
                then unioned.gross_amount - unioned.refunded_amount
            else 0
        end as net_revenue
    from unioned
    left join current_customers
        on unioned.identity_record_key = current_customers.record_key
    left join currency_rates
        on unioned.currency = currency_rates.currency
),

final as (
    select
        *,
        cast(net_revenue * rate_to_reporting as decimal(18, 2)) as net_revenue_reporting
    from with_revenue
)

select * from final
