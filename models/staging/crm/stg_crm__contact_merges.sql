{#-
    One row per staged CRM contact that the CRM merged into another (merged_into_contact_id set),
    with the contact that finally survives: merge chains (a -> b -> c) are followed through
    stg_crm__contacts up to `max_merge_chain_depth` hops. See the `crm_contact_merges` doc block.
-#}
{%- set max_depth = var('max_merge_chain_depth', 10) -%}

with recursive

contacts as (
    select
        contact_id,
        merged_into_contact_id
    from {{ ref('stg_crm__contacts') }}
),

chain_steps as (
    select
        contact_id,
        merged_into_contact_id,
        merged_into_contact_id as reached_contact_id,
        1 as merge_depth,
        {{ dbt.concat(["'|'", 'contact_id', "'|'"]) }} as visited
    from contacts
    where merged_into_contact_id is not null

    union all

    select
        chain_steps.contact_id,
        chain_steps.merged_into_contact_id,
        next_contact.merged_into_contact_id as reached_contact_id,
        chain_steps.merge_depth + 1 as merge_depth,
        {{ dbt.concat(['chain_steps.visited', 'chain_steps.reached_contact_id', "'|'"]) }} as visited
    from chain_steps
    inner join contacts as next_contact
        on chain_steps.reached_contact_id = next_contact.contact_id
    where
        next_contact.merged_into_contact_id is not null
        -- stop at a contact already on the path (a cycle) and at the depth bound
        and {{ dbt.position(dbt.concat(["'|'", 'chain_steps.reached_contact_id', "'|'"]), 'chain_steps.visited') }} = 0
        and chain_steps.merge_depth < {{ max_depth }}
),

last_steps as (
    select
        *,
        {{ dbt.position(dbt.concat(["'|'", 'reached_contact_id', "'|'"]), 'visited') }} > 0 as is_cycle,
        row_number() over (partition by contact_id order by merge_depth desc) as step_rank
    from chain_steps
),

classified as (
    select
        last_steps.contact_id,
        last_steps.merged_into_contact_id,
        last_steps.reached_contact_id,
        last_steps.merge_depth,
        case
            when last_steps.is_cycle then 'cycle'
            when reached.contact_id is null then 'target_missing'
            when reached.merged_into_contact_id is not null then 'too_deep'
            else 'resolved'
        end as merge_status
    from last_steps
    left join contacts as reached
        on last_steps.reached_contact_id = reached.contact_id
    where last_steps.step_rank = 1
),

final as (
    select
        contact_id,
        merged_into_contact_id,
        reached_contact_id as chain_end_contact_id,
        merge_depth,
        merge_status,
        case when merge_status = 'resolved' then reached_contact_id end as surviving_contact_id,
        merge_status != 'resolved' as is_merge_unresolved
    from classified
)

select * from final
