-- int_customer__engagement has exactly the customers of customer_identity_map (one row each:
-- uniqueness is tested on the model). Returns the customers missing on either side.
with

identity_customers as (
    select distinct customer_id from {{ ref('customer_identity_map') }}
),

engagement as (
    select customer_id from {{ ref('int_customer__engagement') }}
),

final as (
    select
        coalesce(identity_customers.customer_id, engagement.customer_id) as customer_id,
        identity_customers.customer_id is null as is_missing_from_identity_map,
        engagement.customer_id is null as is_missing_from_engagement
    from identity_customers
    full outer join engagement
        on identity_customers.customer_id = engagement.customer_id
    where
        identity_customers.customer_id is null
        or engagement.customer_id is null
)

select * from final
