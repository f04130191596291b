-- Governance rule 9: every identity-bearing source record maps to exactly one customer.
-- Returns records that are missing from customer_identity_map or appear more than once.
with

records as (
    select record_key from {{ ref('int_identity__records_unioned') }}
),

mapped as (
    select
        record_key,
        count(*) as times_mapped,
        count(distinct customer_id) as customers
    from {{ ref('customer_identity_map') }}
    group by record_key
),

problems as (
    select
        records.record_key,
        coalesce(mapped.times_mapped, 0) as times_mapped,
        coalesce(mapped.customers, 0) as customers
    from records
    left join mapped
        on records.record_key = mapped.record_key
    where coalesce(mapped.times_mapped, 0) != 1 or coalesce(mapped.customers, 0) != 1
)

select * from problems
