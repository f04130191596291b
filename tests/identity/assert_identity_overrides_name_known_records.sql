-- Every reviewed override names records the warehouse holds. A key that matches no identity record
-- (a typo, or a record since deleted or erased) decides nothing, and an erased subject's key should
-- not stay in the seed: warn, naming the row, so a steward fixes or removes it.
{{ config(severity='warn') }}

with

overrides as (
    select * from {{ ref('identity_overrides') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

unknown as (
    select
        overrides.record_key_a,
        overrides.record_key_b,
        overrides.decision,
        overrides.reviewed_by
    from overrides
    left join records as a
        on overrides.record_key_a = a.record_key
    left join records as b
        on overrides.record_key_b = b.record_key
    where a.record_key is null or b.record_key is null
)

select * from unknown
