-- Governance rule 4: a customer who objected to profiling gets no CLV- or segment-driven
-- marketing. Returns customers with a profiling objection that still carry a marketing segment
-- or are not flagged.
with

objections as (
    select customer_id
    from {{ ref('int_consent__customer_restrictions') }}
    where has_objected_to_profiling
),

clv as (
    select * from {{ ref('customer_clv') }}
),

violations as (
    select
        clv.customer_id,
        clv.marketing_segment,
        clv.has_profiling_objection
    from clv
    inner join objections
        on clv.customer_id = objections.customer_id
    where
        clv.marketing_segment is not null
        or not clv.has_profiling_objection
)

select * from violations
