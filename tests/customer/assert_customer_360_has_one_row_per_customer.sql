-- Every customer of customer_identity_map has exactly one customer_360 row, and customer_360 holds
-- no other customer. Returns the customers that break this.
with

mapped as (
    select distinct customer_id
    from {{ ref('customer_identity_map') }}
),

profiles as (
    select
        customer_id,
        count(*) as row_count
    from {{ ref('customer_360') }}
    group by customer_id
),

problems as (
    select
        coalesce(mapped.customer_id, profiles.customer_id) as customer_id,
        mapped.customer_id is not null as is_mapped,
        coalesce(profiles.row_count, 0) as customer_360_rows
    from mapped
    full outer join profiles
        on mapped.customer_id = profiles.customer_id
    where
        mapped.customer_id is null
        or coalesce(profiles.row_count, 0) != 1
)

select * from problems
