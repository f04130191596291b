{#-
    The links a data steward should look at: pairs of records the probabilistic model scored at or
    above var identity_review_min_probability that are nevertheless in two different customers,
    with the clustering's own reason (int_identity__link_decisions): the probability was below the
    merge threshold (var identity_fuzzy_min_probability), one side has no first name on a shared
    email (var identity_nameless_email_links off), the two records are two logged-in shop accounts,
    or another guardrail refused the merge (identifier limits, cluster size, a must_not_link, a
    source declared deduplicated). A reviewed pair goes into seeds/identity_overrides.csv as
    must_link or must_not_link and leaves the queue.
-#}
{%- set review_from = var('identity_review_min_probability', 0.9) -%}
with

fuzzy_edges as (
    select * from {{ ref('int_identity__fuzzy_edges') }}
),

decisions as (
    select * from {{ ref('int_identity__link_decisions') }}
    where kind = 'fuzzy'
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

overrides as (
    select * from {{ ref('identity_overrides') }}
),

reviewed as (
    select
        least(record_key_a, record_key_b) as record_key_l,
        greatest(record_key_a, record_key_b) as record_key_r
    from overrides
),

candidates as (
    select
        fuzzy_edges.record_key_l,
        fuzzy_edges.record_key_r,
        map_l.customer_id as customer_id_l,
        map_r.customer_id as customer_id_r,
        fuzzy_edges.match_probability,
        fuzzy_edges.comparison_weights,
        decisions.rejected_because as refused_by,
        case
            when decisions.rejected_because = 'below_fuzzy_threshold' then 'below_threshold'
            when decisions.rejected_because = 'nameless_email' then 'nameless_email'
            when decisions.rejected_because = 'limit:shop_customer_id' then 'two_shop_accounts'
            else 'guardrail'
        end as review_reason
    from fuzzy_edges
    inner join identity_map as map_l
        on fuzzy_edges.record_key_l = map_l.record_key
    inner join identity_map as map_r
        on fuzzy_edges.record_key_r = map_r.record_key
    inner join decisions
        on
            fuzzy_edges.record_key_l = decisions.record_key_l
            and fuzzy_edges.record_key_r = decisions.record_key_r
    where
        fuzzy_edges.match_probability >= {{ review_from }}
        and map_l.customer_id != map_r.customer_id
),

final as (
    select
        cast(candidates.record_key_l as varchar) as record_key_l,
        cast(candidates.record_key_r as varchar) as record_key_r,
        cast(candidates.customer_id_l as varchar) as customer_id_l,
        cast(candidates.customer_id_r as varchar) as customer_id_r,
        cast(candidates.match_probability as double) as match_probability,
        cast(candidates.comparison_weights as varchar) as comparison_weights,
        cast(candidates.review_reason as varchar) as review_reason,
        cast(candidates.refused_by as varchar) as refused_by
    from candidates
    left join reviewed
        on
            candidates.record_key_l = reviewed.record_key_l
            and candidates.record_key_r = reviewed.record_key_r
    where reviewed.record_key_l is null
)

select * from final
