with

records as (
    select * from {{ ref('int_identity__records') }}
),

clusters as (
    select * from {{ ref('int_identity__clusters') }}
),

customer_keys as (
    select * from {{ ref('int_identity__customer_keys') }}
),

current_keys as (
    select
        record_key,
        customer_id
    from customer_keys
    where valid_to is null
),

customer_flags as (
    select
        current_keys.customer_id,
        min(clusters.cluster_confidence) as customer_identity_confidence,
        sum(clusters.rejected_edge_count) as rejected_edge_count
    from current_keys
    inner join clusters
        on current_keys.record_key = clusters.record_key
    group by current_keys.customer_id
),

final as (
    select
        cast(records.source_system as varchar) as source_system,
        cast(records.source_table as varchar) as source_table,
        cast(records.source_record_id as varchar) as source_record_id,
        cast(records.record_key as varchar) as record_key,
        cast(current_keys.customer_id as varchar) as customer_id,
        cast(clusters.link_confidence as double) as link_confidence,
        cast(clusters.linked_by as varchar) as linked_by,
        cast(customer_flags.customer_identity_confidence as double) as customer_identity_confidence,
        (
            customer_flags.customer_identity_confidence < {{ var('identity_review_below', 0.95) }}
            or customer_flags.rejected_edge_count > 0
        ) as needs_review
    from records
    inner join clusters
        on records.record_key = clusters.record_key
    inner join current_keys
        on records.record_key = current_keys.record_key
    inner join customer_flags
        on current_keys.customer_id = customer_flags.customer_id
)

select * from final
