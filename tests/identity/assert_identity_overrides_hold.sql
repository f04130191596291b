-- Governance rule 10: every reviewed must_link pair is in one customer, no must_not_link pair is.
with

overrides as (
    select * from {{ ref('identity_overrides') }}
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

checked as (
    select
        overrides.record_key_a,
        overrides.record_key_b,
        overrides.decision,
        a.customer_id as customer_a,
        b.customer_id as customer_b
    from overrides
    inner join identity_map as a
        on overrides.record_key_a = a.record_key
    inner join identity_map as b
        on overrides.record_key_b = b.record_key
),

violations as (
    select *
    from checked
    where
        (decision = 'must_link' and customer_a != customer_b)
        or (decision = 'must_not_link' and customer_a = customer_b)
)

select * from violations
