-- One row per customer of customer_identity_map, as of the CLV as-of date: historic value,
-- buy-till-you-die predictions of the published model (clv_model_fit), CLV tier, RFM scores and
-- segment, lifecycle stage, and the segment usable for marketing (NULL after a profiling
-- objection). See the `clv` doc block.
with

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

transactions as (
    select * from {{ ref('int_clv__transactions') }}
),

predictions as (
    select * from {{ ref('int_clv__predictions') }}
),

objections as (
    -- customers who objected to profiling (or to the direct marketing behind it): the consent
    -- capability's single decision, see the `consent_semantics` doc block
    select customer_id
    from {{ ref('int_consent__customer_restrictions') }}
    where has_objected_to_profiling
),

customers as (
    select distinct customer_id
    from identity_map
),

as_of as (
    select
        coalesce(
            cast(nullif('{{ var("clv_as_of_date", "") }}', '') as date),
            max(cast(ordered_at as date))
        ) as as_of_date
    from transactions
),

history as (
    select
        transactions.customer_id,
        count(*) as order_count,
        count(distinct cast(transactions.ordered_at as date)) as purchase_days,
        sum(transactions.amount) as net_revenue,
        min(transactions.ordered_at) as first_order_at,
        max(transactions.ordered_at) as last_order_at
    from transactions
    cross join as_of
    where cast(transactions.ordered_at as date) <= as_of.as_of_date
    group by transactions.customer_id
),

joined as (
    select
        customers.customer_id,
        as_of.as_of_date,
        history.order_count,
        history.purchase_days,
        history.net_revenue,
        history.first_order_at,
        history.last_order_at,
        predictions.model_name,
        predictions.time_unit,
        predictions.btyd_frequency,
        predictions.btyd_recency,
        predictions.btyd_t,
        predictions.probability_alive,
        predictions.expected_purchases_90d,
        predictions.expected_purchases_365d,
        predictions.expected_spend_per_order,
        predictions.predicted_clv_12m,
        predictions.clv_tier,
        predictions.rfm_recency_score,
        predictions.rfm_frequency_score,
        predictions.rfm_monetary_score,
        predictions.rfm_segment,
        objections.customer_id is not null as has_profiling_objection,
        coalesce(predictions.lifecycle_stage, 'prospect') as lifecycle_stage
    from customers
    cross join as_of
    left join history
        on customers.customer_id = history.customer_id
    left join predictions
        on customers.customer_id = predictions.customer_id
    left join objections
        on customers.customer_id = objections.customer_id
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(coalesce(order_count, 0) as integer) as order_count,
        cast(coalesce(purchase_days, 0) as integer) as purchase_days,
        cast(coalesce(net_revenue, 0) as decimal(18, 2)) as net_revenue_reporting,
        cast(net_revenue / nullif(order_count, 0) as decimal(18, 2)) as average_order_value_reporting,
        cast(first_order_at as timestamp) as first_order_at,
        cast(last_order_at as timestamp) as last_order_at,
        cast(
            {{ dbt.datediff('cast(first_order_at as date)', 'as_of_date', 'day') }}
            as integer
        ) as tenure_days,
        cast(
            {{ dbt.datediff('cast(last_order_at as date)', 'as_of_date', 'day') }}
            as integer
        ) as days_since_last_order,
        cast(model_name as varchar) as clv_model,
        cast(time_unit as varchar) as time_unit,
        cast(btyd_frequency as integer) as btyd_frequency,
        cast(btyd_recency as double) as btyd_recency,
        cast(btyd_t as double) as btyd_t,
        cast(probability_alive as double) as probability_alive,
        cast(expected_purchases_90d as double) as expected_purchases_90d,
        cast(expected_purchases_365d as double) as expected_purchases_365d,
        cast(expected_spend_per_order as decimal(18, 2)) as expected_spend_per_order,
        cast(predicted_clv_12m as decimal(18, 2)) as predicted_clv_12m,
        cast(clv_tier as varchar) as clv_tier,
        cast(rfm_recency_score as integer) as rfm_recency_score,
        cast(rfm_frequency_score as integer) as rfm_frequency_score,
        cast(rfm_monetary_score as integer) as rfm_monetary_score,
        cast(rfm_segment as varchar) as rfm_segment,
        cast(lifecycle_stage as varchar) as lifecycle_stage,
        cast(has_profiling_objection as boolean) as has_profiling_objection,
        cast(
            case
                when has_profiling_objection then null
                else coalesce(rfm_segment, lifecycle_stage)
            end as varchar
        ) as marketing_segment
    from joined
)

select * from final
