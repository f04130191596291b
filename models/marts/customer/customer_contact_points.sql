{#-
    Every email, phone and postal address known for a customer: one row per customer x contact type x
    normalized value (an invalid value keeps its raw text as its key), with when and where it was
    seen, whether it is valid, the golden one, hard-bounced (emails) and stale.
-#}
with

candidates as (
    select * from {{ ref('int_customer__attribute_candidates') }}
),

provenance as (
    select * from {{ ref('customer_attribute_provenance') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

email_events as (
    select * from {{ ref('stg_email__events') }}
),

contact_candidates as (
    select *
    from candidates
    where attribute in ('email', 'phone', 'address')
),

golden_values as (
    select
        customer_id,
        attribute,
        value_key
    from provenance
    where is_winner
),

hard_bounces as (
    select
        subscriber_id,
        max(occurred_at) as last_hard_bounced_at
    from email_events
    where
        event_type = 'bounce'
        and bounce_type = 'hard'
    group by subscriber_id
),

bounced_mailboxes as (
    -- a hard bounce is a property of the mailbox, whichever customer holds it
    select
        records.email_norm,
        max(hard_bounces.last_hard_bounced_at) as last_hard_bounced_at
    from hard_bounces
    inner join records
        on
            records.source_system = 'email'
            and records.source_table = 'subscribers'
            and hard_bounces.subscriber_id = records.source_record_id
    where records.email_norm is not null
    group by records.email_norm
),

latest_display as (
    -- the value as its most recent record wrote it
    select
        customer_id,
        attribute,
        value_key,
        value,
        row_number() over (
            partition by customer_id, attribute, value_key
            order by observed_at desc nulls last, record_key asc
        ) as recency_rank
    from contact_candidates
),

value_source_lists as (
    {{ distinct_value_list(
        'contact_candidates', ['customer_id', 'attribute', 'value_key'], 'source_system', 'source_systems'
    ) }}
),

contact_points as (
    select
        customer_id,
        attribute,
        value_key,
        max(case when is_valid then 1 else 0 end) = 1 as is_valid,
        min(invalid_reason) as invalid_reason,
        count(*) as record_count,
        min(first_observed_at) as first_seen_at,
        max(observed_at) as last_seen_at
    from contact_candidates
    group by customer_id, attribute, value_key
),

final as (
    select
        cast(contact_points.customer_id as varchar) as customer_id,
        cast(contact_points.attribute as varchar) as contact_type,
        cast(contact_points.value_key as varchar) as contact_key,
        cast(latest_display.value as varchar) as contact_value,
        cast(contact_points.is_valid as boolean) as is_valid,
        cast(case when not contact_points.is_valid then contact_points.invalid_reason end as varchar) as invalid_reason,
        cast(golden_values.value_key is not null as boolean) as is_golden,
        cast(contact_points.record_count as bigint) as record_count,
        cast(value_source_lists.source_systems as varchar) as source_systems,
        cast(contact_points.first_seen_at as timestamp) as first_seen_at,
        cast(contact_points.last_seen_at as timestamp) as last_seen_at,
        cast(
            contact_points.last_seen_at
            < {{ dbt.dateadd('day', -1 * var('contact_stale_after_days'), dbt.current_timestamp()) }}
            as boolean
        ) as is_stale,
        cast(case
            when contact_points.attribute = 'email' then bounced_mailboxes.email_norm is not null
        end as boolean) as is_hard_bounced,
        cast(bounced_mailboxes.last_hard_bounced_at as timestamp) as last_hard_bounced_at
    from contact_points
    inner join latest_display
        on
            contact_points.customer_id = latest_display.customer_id
            and contact_points.attribute = latest_display.attribute
            and contact_points.value_key = latest_display.value_key
            and latest_display.recency_rank = 1
    inner join value_source_lists
        on
            contact_points.customer_id = value_source_lists.customer_id
            and contact_points.attribute = value_source_lists.attribute
            and contact_points.value_key = value_source_lists.value_key
    left join golden_values
        on
            contact_points.customer_id = golden_values.customer_id
            and contact_points.attribute = golden_values.attribute
            and contact_points.value_key = golden_values.value_key
    left join bounced_mailboxes
        on
            contact_points.attribute = 'email'
            and contact_points.value_key = bounced_mailboxes.email_norm
)

select * from final
