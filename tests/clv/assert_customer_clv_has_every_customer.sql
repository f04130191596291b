-- customer_clv has exactly one row per customer of customer_identity_map (prospects included):
-- returns the customers missing from customer_clv.
with

identity_customers as (
    select distinct customer_id from {{ ref('customer_identity_map') }}
),

clv_customers as (
    select customer_id from {{ ref('customer_clv') }}
),

missing as (
    select identity_customers.customer_id
    from identity_customers
    left join clv_customers
        on identity_customers.customer_id = clv_customers.customer_id
    where clv_customers.customer_id is null
)

select * from missing
