{#-
    identity_changes summarized per build: how many customers each build created, merged, split,
    how many records it added or moved, and the size of the customer base after it.
-#}
with

changes as (
    select * from {{ ref('identity_changes') }}
),

history as (
    select * from {{ ref('int_identity__customer_keys') }}
),

per_build as (
    select
        build_at,
        count(distinct case when change_type = 'new' then customer_id end) as new_customer_count,
        sum(case when change_type = 'new' then record_count else 0 end) as new_customer_record_count,
        count(distinct case when change_type = 'records_added' then customer_id end) as customers_with_added_records,
        sum(case when change_type = 'records_added' then record_count else 0 end) as added_record_count,
        count(distinct case when change_type = 'merged' then previous_customer_id end) as merged_customer_count,
        sum(case when change_type = 'merged' then record_count else 0 end) as merged_record_count,
        count(distinct case when change_type = 'split' then customer_id end) as split_customer_count,
        sum(case when change_type = 'split' then record_count else 0 end) as split_record_count,
        sum(case when change_type = 'moved' then record_count else 0 end) as moved_record_count,
        sum(record_count) as changed_record_count
    from changes
    group by build_at
),

state_after_build as (
    -- the assignments in force right after each build
    select
        per_build.build_at,
        count(distinct history.customer_id) as customer_count_after,
        count(*) as record_count_after
    from per_build
    inner join history
        on
            per_build.build_at >= history.valid_from
            and (history.valid_to is null or per_build.build_at < history.valid_to)
    group by per_build.build_at
),

final as (
    select
        cast(per_build.build_at as timestamp) as build_at,
        cast(per_build.new_customer_count as bigint) as new_customer_count,
        cast(per_build.new_customer_record_count as bigint) as new_customer_record_count,
        cast(per_build.customers_with_added_records as bigint) as customers_with_added_records,
        cast(per_build.added_record_count as bigint) as added_record_count,
        cast(per_build.merged_customer_count as bigint) as merged_customer_count,
        cast(per_build.merged_record_count as bigint) as merged_record_count,
        cast(per_build.split_customer_count as bigint) as split_customer_count,
        cast(per_build.split_record_count as bigint) as split_record_count,
        cast(per_build.moved_record_count as bigint) as moved_record_count,
        cast(per_build.changed_record_count as bigint) as changed_record_count,
        cast(coalesce(state_after_build.customer_count_after, 0) as bigint) as customer_count_after,
        cast(coalesce(state_after_build.record_count_after, 0) as bigint) as record_count_after
    from per_build
    left join state_after_build
        on per_build.build_at = state_after_build.build_at
)

select * from final
