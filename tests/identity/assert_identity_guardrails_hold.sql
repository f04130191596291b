-- Governance rule 10: no customer above the size ceiling, no customer holding more distinct values
-- of a limited identifier than identifier_limits allows, and none holding two records of a source
-- declared deduplicated (var identity_deduplicated_sources). Returns the offending customers.
-- The limited identifiers are the rows of the seed, so a limit added there is checked here too.
{% set max_size = var('identity_max_cluster_size', 200) %}
{% set deduplicated_sources = var('identity_deduplicated_sources', []) %}
-- (Compiling without a built seed, e.g. for linting, checks email_norm only.)
{% set limited_identifiers = ['email_norm'] %}
{% if execute and load_relation(ref('identifier_limits')) is not none %}
    {% set limited_identifiers = run_query(
        'select distinct identifier_type from ' ~ ref('identifier_limits') ~ ' order by 1'
    ).columns[0].values() %}
{% endif %}
with

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

limits as (
    select * from {{ ref('identifier_limits') }}
),

per_customer as (
    select
        identity_map.customer_id,
        count(*) as record_count
    from identity_map
    group by identity_map.customer_id
),

unpivoted as (
    {%- for identifier_type in limited_identifiers %}
        select
            identity_map.customer_id,
            '{{ identifier_type }}' as identifier_type,
            count(distinct records.{{ identifier_type }}) as distinct_values
        from identity_map
        inner join records
            on identity_map.record_key = records.record_key
        group by identity_map.customer_id
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

violations as (
    select
        unpivoted.customer_id,
        unpivoted.identifier_type as broken_rule,
        unpivoted.distinct_values as observed
    from unpivoted
    inner join limits
        on unpivoted.identifier_type = limits.identifier_type
    where unpivoted.distinct_values > limits.max_per_customer

    union all

    select
        customer_id,
        'cluster_size' as broken_rule,
        record_count as observed
    from per_customer
    where record_count > {{ max_size }}
    {%- for source in deduplicated_sources %}

    union all

    select
        customer_id,
        'deduplicated_source:{{ source }}' as broken_rule,
        count(*) as observed
    from identity_map
    where source_system || '/' || source_table = '{{ source }}'
    group by customer_id
    having count(*) > 1
    {%- endfor %}
)

select * from violations
