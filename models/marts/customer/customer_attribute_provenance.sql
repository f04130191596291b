{#-
    The survivorship of the golden record (see the `survivorship` doc block): for every customer and
    attribute, each distinct valid value the customer's records carry, ranked by the attribute's rule
    from seeds/source_priority.csv. One row per customer x attribute x value; the rank-1 value is
    the winner (is_winner) and feeds customer_360; the others are the losing values, each with the
    record that best represents it.
-#}
with

candidates as (
    select * from {{ ref('int_customer__attribute_candidates') }}
),

source_priority as (
    select * from {{ ref('source_priority') }}
),

valid_candidates as (
    select *
    from candidates
    where is_valid
),

default_ranking as (
    select
        source_system,
        priority,
        rule
    from source_priority
    where attribute = 'default'
),

attribute_rankings as (
    select
        attribute,
        source_system,
        priority,
        rule
    from source_priority
    where attribute != 'default'
),

default_rule as (
    -- one row even when the seed has no default rows
    select max(rule) as rule
    from default_ranking
),

attributes as (
    select distinct attribute
    from valid_candidates
),

attribute_rules as (
    -- an attribute without rows of its own takes the default rule
    select
        attributes.attribute,
        coalesce(max(attribute_rankings.rule), max(default_rule.rule)) as rule,
        coalesce(max(attribute_rankings.priority), 0) as max_listed_priority
    from attributes
    left join attribute_rankings
        on attributes.attribute = attribute_rankings.attribute
    cross join default_rule
    group by attributes.attribute
),

prioritized as (
    -- a source not listed for the attribute ranks after every listed one, in its default order
    select
        valid_candidates.*,
        attribute_rules.rule,
        coalesce(
            attribute_rankings.priority,
            attribute_rules.max_listed_priority + default_ranking.priority,
            1000000
        ) as source_priority
    from valid_candidates
    inner join attribute_rules
        on valid_candidates.attribute = attribute_rules.attribute
    left join attribute_rankings
        on
            valid_candidates.attribute = attribute_rankings.attribute
            and valid_candidates.source_system = attribute_rankings.source_system
    left join default_ranking
        on valid_candidates.source_system = default_ranking.source_system
),

value_stats as (
    select
        *,
        count(*) over (partition by customer_id, attribute, value_key) as value_record_count,
        min(source_priority) over (partition by customer_id, attribute, value_key) as value_best_priority,
        max(observed_at) over (partition by customer_id, attribute, value_key) as value_last_observed_at
    from prioritized
),

ranked_records as (
    -- one order per rule; every rule ends with source priority, recency and the record key, so
    -- ties are always broken the same way
    select
        *,
        row_number() over (
            partition by customer_id, attribute
            order by
                case when rule = 'most_frequent' then value_record_count end desc nulls last,
                case when rule = 'most_frequent' then value_best_priority end asc nulls last,
                case when rule = 'most_frequent' then value_last_observed_at end desc nulls last,
                case when rule = 'most_frequent' then value_key end asc nulls last,
                case when rule = 'non_empty' then filled_parts end desc nulls last,
                case when rule = 'first_seen' then first_observed_at end asc nulls last,
                case when rule = 'most_recent' then observed_at end desc nulls last,
                source_priority asc,
                observed_at desc nulls last,
                record_key asc
        ) as record_rank
    from value_stats
),

value_source_lists as (
    {{ distinct_value_list(
        'ranked_records', ['customer_id', 'attribute', 'value_key'], 'source_system', 'source_systems'
    ) }}
),

value_summaries as (
    select
        customer_id,
        attribute,
        value_key,
        min(record_rank) as best_record_rank,
        count(*) as record_count,
        min(first_observed_at) as first_observed_at,
        max(observed_at) as last_observed_at
    from ranked_records
    group by customer_id, attribute, value_key
),

ranked_values as (
    select
        ranked_records.customer_id,
        ranked_records.attribute,
        ranked_records.value,
        ranked_records.value_key,
        ranked_records.rule,
        ranked_records.record_key,
        ranked_records.source_system,
        ranked_records.source_table,
        ranked_records.source_record_id,
        ranked_records.source_priority,
        ranked_records.observed_at,
        value_summaries.record_count,
        value_summaries.first_observed_at,
        value_summaries.last_observed_at,
        value_source_lists.source_systems,
        row_number() over (
            partition by ranked_records.customer_id, ranked_records.attribute
            order by value_summaries.best_record_rank
        ) as value_rank
    from ranked_records
    inner join value_summaries
        on
            ranked_records.customer_id = value_summaries.customer_id
            and ranked_records.attribute = value_summaries.attribute
            and ranked_records.value_key = value_summaries.value_key
            and ranked_records.record_rank = value_summaries.best_record_rank
    inner join value_source_lists
        on
            ranked_records.customer_id = value_source_lists.customer_id
            and ranked_records.attribute = value_source_lists.attribute
            and ranked_records.value_key = value_source_lists.value_key
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(attribute as varchar) as attribute,
        cast(value_rank as integer) as value_rank,
        cast(value_rank = 1 as boolean) as is_winner,
        cast(value as varchar) as value,
        cast(value_key as varchar) as value_key,
        cast(rule as varchar) as rule,
        cast(source_system as varchar) as source_system,
        cast(source_table as varchar) as source_table,
        cast(source_record_id as varchar) as source_record_id,
        cast(record_key as varchar) as record_key,
        cast(source_priority as integer) as source_priority,
        cast(observed_at as timestamp) as observed_at,
        cast(record_count as bigint) as record_count,
        cast(source_systems as varchar) as source_systems,
        cast(first_observed_at as timestamp) as first_observed_at,
        cast(last_observed_at as timestamp) as last_observed_at
    from ranked_values
)

select * from final
