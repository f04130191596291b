-- Monthly acquisition cohorts (month of a customer's first revenue order) by months since that
-- first order, up to the CLV as-of date: customers active, orders, revenue and retention.
with

transactions as (
    select * from {{ ref('int_clv__transactions') }}
),

as_of as (
    select
        coalesce(
            cast(nullif('{{ var("clv_as_of_date", "") }}', '') as date),
            max(cast(ordered_at as date))
        ) as as_of_date
    from transactions
),

orders as (
    select
        transactions.customer_id,
        transactions.amount,
        cast({{ dbt.date_trunc('month', 'transactions.ordered_at') }} as date) as order_month
    from transactions
    cross join as_of
    where cast(transactions.ordered_at as date) <= as_of.as_of_date
),

first_orders as (
    select
        customer_id,
        min(order_month) as cohort_month
    from orders
    group by customer_id
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_customers
    from first_orders
    group by cohort_month
),

orders_in_cohorts as (
    select
        orders.customer_id,
        orders.amount,
        first_orders.cohort_month,
        {{ dbt.datediff('first_orders.cohort_month', 'orders.order_month', 'month') }}
            as months_since_first_order
    from orders
    inner join first_orders
        on orders.customer_id = first_orders.customer_id
),

activity as (
    select
        cohort_month,
        months_since_first_order,
        count(distinct customer_id) as active_customers,
        count(*) as orders,
        sum(amount) as revenue
    from orders_in_cohorts
    group by cohort_month, months_since_first_order
),

-- every month of every cohort up to the as-of month, also the months in which nobody bought
month_offsets as (
    select distinct months_since_first_order
    from activity
),

grid as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_customers,
        month_offsets.months_since_first_order
    from cohort_sizes
    cross join month_offsets
    cross join as_of
    where
        {{ dbt.dateadd('month', 'month_offsets.months_since_first_order', 'cohort_sizes.cohort_month') }}
        <= as_of.as_of_date
),

final as (
    select
        cast(grid.cohort_month as date) as cohort_month,
        cast(grid.months_since_first_order as integer) as months_since_first_order,
        cast(grid.cohort_customers as integer) as cohort_customers,
        cast(coalesce(activity.active_customers, 0) as integer) as active_customers,
        cast(coalesce(activity.orders, 0) as integer) as orders,
        cast(coalesce(activity.revenue, 0) as decimal(18, 2)) as net_revenue_reporting,
        cast(coalesce(activity.active_customers, 0) * 1.0 / grid.cohort_customers as double) as retention_rate,
        cast(
            sum(coalesce(activity.revenue, 0)) over (
                partition by grid.cohort_month
                order by grid.months_since_first_order
                rows between unbounded preceding and current row
            ) / grid.cohort_customers as decimal(18, 2)
        ) as cumulative_revenue_per_customer
    from grid
    left join activity
        on
            grid.cohort_month = activity.cohort_month
            and grid.months_since_first_order = activity.months_since_first_order
)

select * from final
