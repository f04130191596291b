-- Governance rule 12 (stable ids): each record has exactly one current customer in the history,
-- periods do not overlap, and the current history agrees with customer_identity_map.
with

history as (
    select * from {{ ref('int_identity__customer_keys') }}
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

open_periods as (
    select
        record_key,
        count(*) as open_count
    from history
    where valid_to is null
    group by record_key
),

overlapping as (
    select
        a.record_key,
        'overlapping_periods' as problem
    from history as a
    inner join history as b
        on
            a.record_key = b.record_key
            and a.valid_from < b.valid_from
            and (a.valid_to is null or a.valid_to > b.valid_from)
),

problems as (
    select
        record_key,
        'several_current_customers' as problem
    from open_periods
    where open_count > 1

    union all

    select * from overlapping

    union all

    select
        identity_map.record_key,
        'map_disagrees_with_history' as problem
    from identity_map
    left join history
        on
            identity_map.record_key = history.record_key
            and history.valid_to is null
    where history.customer_id is distinct from identity_map.customer_id
)

select * from problems
