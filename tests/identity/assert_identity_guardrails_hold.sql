-- Governance rule 10: no customer above the size ceiling, no customer holding more distinct values
-- of a limited identifier than identifier_limits allows. Returns the offending customers.
{% set max_size = var('identity_max_cluster_size', 200) %}
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
        count(*) as record_count,
        count(distinct records.email_norm) as email_norm,
        count(distinct records.phone_e164) as phone_e164,
        count(distinct records.shop_customer_id) as shop_customer_id,
        count(distinct records.date_of_birth) as date_of_birth
    from identity_map
    inner join records
        on identity_map.record_key = records.record_key
    group by identity_map.customer_id
),

unpivoted as (
    select
        customer_id,
        'email_norm' as identifier_type,
        email_norm as distinct_values
    from per_customer
    union all
    select
        customer_id,
        'phone_e164' as identifier_type,
        phone_e164 as distinct_values
    from per_customer
    union all
    select
        customer_id,
        'shop_customer_id' as identifier_type,
        shop_customer_id as distinct_values
    from per_customer
    union all
    select
        customer_id,
        'date_of_birth' as identifier_type,
        date_of_birth as distinct_values
    from per_customer
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
)

select * from violations
