{#-
    What each identity build changed, derived from the id history (no separate state):
    - new:      a customer id issued in this build for records that had none;
    - merged:   an id whose records all moved into an older customer in this build;
    - split:    an id issued in this build for records taken from a customer that still exists;
    - moved:    records that changed customer for another reason (e.g. a reviewed override).
-#}
with

history as (
    select * from {{ ref('int_identity__customer_keys') }}
),

transitions as (
    -- every period opened by a build, with the id the record held before (if any)
    select
        opened.valid_from as build_at,
        opened.record_key,
        opened.customer_id,
        opened.customer_first_issued_at,
        closed.customer_id as previous_customer_id
    from history as opened
    left join history as closed
        on
            opened.record_key = closed.record_key
            and opened.valid_from = closed.valid_to
),

surviving as (
    -- the previous ids of each build's transitions that still hold records after it (looked up by
    -- id: the work grows with the changes, not with builds times records)
    select distinct
        transitions.build_at,
        history.customer_id
    from transitions
    inner join history
        on
            transitions.previous_customer_id = history.customer_id
            and transitions.build_at >= history.valid_from
            and (history.valid_to is null or transitions.build_at < history.valid_to)
),

classified as (
    select
        transitions.build_at,
        transitions.customer_id,
        transitions.previous_customer_id,
        transitions.record_key,
        case
            when
                transitions.previous_customer_id is null and transitions.customer_first_issued_at = transitions.build_at
                then 'new'
            when transitions.previous_customer_id is null then 'records_added'
            when surviving.customer_id is null then 'merged'
            when transitions.customer_first_issued_at = transitions.build_at then 'split'
            else 'moved'
        end as change_type
    from transitions
    left join surviving
        on
            transitions.build_at = surviving.build_at
            and transitions.previous_customer_id = surviving.customer_id
),

final as (
    select
        cast(build_at as timestamp) as build_at,
        cast(change_type as varchar) as change_type,
        cast(customer_id as varchar) as customer_id,
        cast(previous_customer_id as varchar) as previous_customer_id,
        cast(count(*) as bigint) as record_count
    from classified
    group by build_at, change_type, customer_id, previous_customer_id
)

select * from final
