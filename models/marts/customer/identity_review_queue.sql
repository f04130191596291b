{#-
    The links a data steward should look at: pairs of records the probabilistic model scored at or
    above var identity_review_min_probability that are nevertheless in two different customers,
    because the probability was below the merge threshold (var identity_fuzzy_min_probability),
    because one side has no first name on a shared email (var identity_nameless_email_links off),
    because the two records are two logged-in shop accounts, or because a guardrail refused the
    merge (identifier limits, cluster size, a must_not_link). A reviewed pair goes into
    seeds/identity_overrides.csv as must_link or must_not_link and leaves the queue.
-#}
{%- set review_from = var('identity_review_min_probability', 0.9) -%}
{%- set merge_from = var('identity_fuzzy_min_probability', 0.99) -%}
{%- set nameless_email_links = var('identity_nameless_email_links', false) -%}

with

fuzzy_edges as (
    select * from {{ ref('int_identity__fuzzy_edges') }}
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
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
        case
            when fuzzy_edges.match_probability < {{ merge_from }} then 'below_threshold'
            when
                not {{ 'true' if nameless_email_links else 'false' }}
                and (records_l.first_name_norm is null or records_r.first_name_norm is null)
                and records_l.email_norm = records_r.email_norm
                then 'nameless_email'
            when fuzzy_edges.conflicting_accounts then 'two_shop_accounts'
            else 'guardrail'
        end as review_reason
    from fuzzy_edges
    inner join identity_map as map_l
        on fuzzy_edges.record_key_l = map_l.record_key
    inner join identity_map as map_r
        on fuzzy_edges.record_key_r = map_r.record_key
    inner join records as records_l
        on fuzzy_edges.record_key_l = records_l.record_key
    inner join records as records_r
        on fuzzy_edges.record_key_r = records_r.record_key
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
        cast(candidates.review_reason as varchar) as review_reason
    from candidates
    left join reviewed
        on
            candidates.record_key_l = reviewed.record_key_l
            and candidates.record_key_r = reviewed.record_key_r
    where reviewed.record_key_l is null
)

select * from final
