-- Households (customer_households): every customer of customer_360 has exactly one household row
-- and no other customer has one, and each household_size is the number of customers holding that
-- household_id. Returns the customers that break this.
with

profiles as (
    select customer_id
    from {{ ref('customer_360') }}
),

households as (
    select * from {{ ref('customer_households') }}
),

counted as (
    select
        customer_id,
        household_id,
        household_size,
        count(*) over (partition by household_id) as customers_in_household,
        count(*) over (partition by customer_id) as rows_of_customer
    from households
),

problems as (
    select
        counted.household_id,
        counted.household_size,
        counted.customers_in_household,
        coalesce(profiles.customer_id, counted.customer_id) as customer_id,
        case
            when counted.customer_id is null then 'customer without a household row'
            when profiles.customer_id is null then 'household row of an unknown customer'
            when counted.rows_of_customer > 1 then 'customer in several households'
            else 'household_size is not the number of its customers'
        end as problem
    from profiles
    full outer join counted
        on profiles.customer_id = counted.customer_id
    where
        counted.customer_id is null
        or profiles.customer_id is null
        or counted.rows_of_customer > 1
        or counted.household_size != counted.customers_in_household
)

select * from problems
