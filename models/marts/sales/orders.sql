-- One row per sale (web shop and in-store tills), net of refunds and cancellations, with its
-- customer, its money in the order currency and in the reporting currency, and what was bought.
-- Revenue is int_orders__unified's (the `order_revenue` doc block); this mart only adds the lines.
with

unified_orders as (
    select * from {{ ref('int_orders__unified') }}
),

order_lines as (
    select * from {{ ref('stg_shop__order_lines') }}
),

pos_transactions as (
    select * from {{ ref('stg_pos__transactions') }}
),

line_categories as (
    select
        order_id,
        category,
        sum(quantity * unit_price) as category_amount,
        count(*) as category_line_count
    from order_lines
    group by order_id, category
),

main_categories as (
    -- the category that took the largest share of the order's line value
    select
        order_id,
        category as main_category,
        row_number() over (
            partition by order_id
            order by category_amount desc, category_line_count desc, category asc
        ) as category_rank
    from line_categories
    where category is not null
),

lines_per_order as (
    select
        order_lines.order_id,
        count(*) as line_count,
        sum(order_lines.quantity) as item_quantity,
        count(distinct order_lines.category) as category_count,
        {{ dbt.listagg('distinct order_lines.category', "', '", 'order by order_lines.category') }} as categories
    from order_lines
    group by order_lines.order_id
),

shop_lines as (
    select
        {{ dbt.concat(["'shop:'", 'lines_per_order.order_id']) }} as order_key,
        lines_per_order.line_count,
        lines_per_order.item_quantity,
        lines_per_order.category_count,
        lines_per_order.categories,
        main_categories.main_category
    from lines_per_order
    left join main_categories
        on
            lines_per_order.order_id = main_categories.order_id
            and main_categories.category_rank = 1
),

pos_items as (
    select
        {{ dbt.concat(["'pos:'", 'transaction_id']) }} as order_key,
        items_count as item_quantity
    from pos_transactions
),

final as (
    select
        cast(unified_orders.order_key as varchar) as order_key,
        cast(unified_orders.source_system as varchar) as source_system,
        cast(unified_orders.source_order_id as varchar) as source_order_id,
        cast(unified_orders.customer_id as varchar) as customer_id,
        cast(unified_orders.ordered_at as timestamp) as ordered_at,
        cast(unified_orders.sales_channel as varchar) as sales_channel,
        cast(unified_orders.store_id as varchar) as store_id,
        cast(unified_orders.financial_status as varchar) as financial_status,
        cast(unified_orders.is_cancelled as boolean) as is_cancelled,
        cast(unified_orders.cancelled_at as timestamp) as cancelled_at,
        cast(unified_orders.is_revenue as boolean) as is_revenue,
        cast(unified_orders.currency as varchar) as currency,
        cast(unified_orders.gross_amount as decimal(18, 2)) as gross_amount,
        cast(unified_orders.refunded_amount as decimal(18, 2)) as refunded_amount,
        cast(unified_orders.refund_count as bigint) as refund_count,
        cast(unified_orders.last_refunded_at as timestamp) as last_refunded_at,
        cast(unified_orders.net_revenue as decimal(18, 2)) as net_revenue,
        cast('{{ var("reporting_currency", "EUR") }}' as varchar) as reporting_currency,
        cast(unified_orders.rate_to_reporting as decimal(18, 6)) as rate_to_reporting,
        cast(unified_orders.net_revenue_reporting as decimal(18, 2)) as net_revenue_reporting,
        cast(shop_lines.line_count as bigint) as line_count,
        cast(coalesce(shop_lines.item_quantity, pos_items.item_quantity) as bigint) as item_quantity,
        cast(shop_lines.category_count as bigint) as category_count,
        cast(shop_lines.categories as varchar) as categories,
        cast(shop_lines.main_category as varchar) as main_category,
        cast({{ url_parameter('unified_orders.landing_site', 'utm_source') }} as varchar) as landing_utm_source,
        cast({{ url_parameter('unified_orders.landing_site', 'utm_medium') }} as varchar) as landing_utm_medium,
        cast({{ url_parameter('unified_orders.landing_site', 'utm_campaign') }} as varchar) as landing_utm_campaign
    from unified_orders
    left join shop_lines
        on unified_orders.order_key = shop_lines.order_key
    left join pos_items
        on unified_orders.order_key = pos_items.order_key
)

select * from final
