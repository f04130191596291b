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
        records.source_system,
        records.source_table,
        records.source_record_id,
        records.record_key,
        current_keys.customer_id,
        cast(clusters.link_confidence as double) as link_confidence,
        clusters.linked_by,
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
