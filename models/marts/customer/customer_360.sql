{#-
    One row per customer of customer_identity_map: the golden record (survivorship, see
    customer_attribute_provenance), identity, orders and revenue (int_orders__unified, the one
    definition of revenue), loyalty, data-quality flags, and the column groups other marts fill
    (engagement, consent, CLV: typed NULLs in their own CTEs until those models exist).
-#}
{%- set erased_customer = 'coalesce(consent_summary.is_erased, false)' %}

with

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

provenance as (
    select * from {{ ref('customer_attribute_provenance') }}
),

candidates as (
    select * from {{ ref('int_customer__attribute_candidates') }}
),

contact_points as (
    select * from {{ ref('customer_contact_points') }}
),

orders as (
    select * from {{ ref('int_orders__unified') }}
),

order_lines as (
    select * from {{ ref('stg_shop__order_lines') }}
),

loyalty_members as (
    select * from {{ ref('stg_loyalty__members') }}
),

customers as (
    select
        identity_map.customer_id,
        count(*) as identity_record_count,
        min(identity_map.customer_identity_confidence) as identity_confidence,
        max(case when identity_map.needs_review then 1 else 0 end) = 1 as needs_review,
        min(records.observed_at) as first_record_at,
        max(records.observed_at) as last_record_at
    from identity_map
    inner join records
        on identity_map.record_key = records.record_key
    group by identity_map.customer_id
),

customer_sources as (
    select distinct
        customer_id,
        source_system
    from identity_map
),

sources_present as (
    select
        customer_id,
        count(*) as source_count,
        {{ dbt.listagg('source_system', "','", 'order by source_system') }} as sources_present
    from customer_sources
    group by customer_id
),

golden_values as (
    select
        provenance.customer_id,
        max(case when provenance.attribute = 'name' then provenance.value end) as full_name,
        max(case when provenance.attribute = 'name' then candidates.first_name end) as first_name,
        max(case when provenance.attribute = 'name' then candidates.last_name end) as last_name,
        max(case when provenance.attribute = 'email' then provenance.value end) as email,
        max(case when provenance.attribute = 'email' then provenance.value_key end) as email_key,
        max(case when provenance.attribute = 'phone' then provenance.value end) as phone,
        max(case when provenance.attribute = 'address' then candidates.street end) as street,
        max(case when provenance.attribute = 'address' then candidates.city end) as city,
        max(case when provenance.attribute = 'address' then candidates.postcode end) as postcode,
        max(case when provenance.attribute = 'address' then candidates.country_code end) as address_country_code,
        max(case when provenance.attribute = 'birth_date' then candidates.birth_date end) as birth_date,
        max(case when provenance.attribute = 'locale' then provenance.value end) as country_code
    from provenance
    inner join candidates
        on
            provenance.customer_id = candidates.customer_id
            and provenance.attribute = candidates.attribute
            and provenance.record_key = candidates.record_key
    where provenance.is_winner
    group by provenance.customer_id
),

birth_date_conflicts as (
    select
        customer_id,
        count(*) as birth_date_value_count
    from provenance
    where attribute = 'birth_date'
    group by customer_id
),

orders_per_currency as (
    select
        customer_id,
        currency,
        sum(net_revenue) as net_revenue
    from orders
    where customer_id is not null
    group by customer_id, currency
),

revenue_by_currency as (
    select
        customer_id,
        {{ map_from_rows('currency', 'net_revenue') }} as net_revenue_by_currency
    from orders_per_currency
    group by customer_id
),

order_summaries as (
    select
        customer_id,
        count(*) as order_count,
        sum(case when is_revenue then 1 else 0 end) as revenue_order_count,
        sum(net_revenue_reporting) as net_revenue_reporting,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from orders
    where customer_id is not null
    group by customer_id
),

category_units as (
    -- units bought per category in revenue orders
    select
        orders.customer_id,
        order_lines.category,
        sum(order_lines.quantity) as units,
        sum(order_lines.quantity * order_lines.unit_price) as amount
    from orders
    inner join order_lines
        on
            orders.source_system = 'shop'
            and orders.source_order_id = order_lines.order_id
    where
        orders.customer_id is not null
        and orders.is_revenue
        and order_lines.category is not null
    group by orders.customer_id, order_lines.category
),

favourite_categories as (
    select
        customer_id,
        category as favourite_category,
        row_number() over (
            partition by customer_id
            order by units desc, amount desc, category asc
        ) as category_rank
    from category_units
),

loyalty_cards as (
    select
        identity_map.customer_id,
        loyalty_members.tier,
        loyalty_members.points_balance,
        row_number() over (
            partition by identity_map.customer_id
            order by loyalty_members.enrolled_at desc, loyalty_members.card_id desc
        ) as card_recency
    from identity_map
    inner join loyalty_members
        on
            identity_map.source_system = 'loyalty'
            and identity_map.source_record_id = loyalty_members.card_id
),

loyalty as (
    -- the tier of the most recently enrolled card; points summed over the customer's cards
    select
        customer_id,
        count(*) as loyalty_card_count,
        max(case when card_recency = 1 then tier end) as loyalty_tier,
        sum(points_balance) as loyalty_points
    from loyalty_cards
    group by customer_id
),

contact_quality as (
    select
        customer_id,
        max(case when contact_type = 'email' and is_golden and is_stale then 1 else 0 end) = 1 as is_email_stale,
        max(case when contact_type = 'phone' and is_golden and is_stale then 1 else 0 end) = 1 as is_phone_stale,
        max(case when contact_type = 'email' and not is_valid then 1 else 0 end) = 1 as has_invalid_email,
        max(case when contact_type = 'phone' and not is_valid then 1 else 0 end) = 1 as has_invalid_phone,
        max(case when contact_type = 'address' and not is_valid then 1 else 0 end) = 1 as has_invalid_address,
        max(case when contact_type = 'email' and is_golden and is_hard_bounced then 1 else 0 end) = 1
            as is_golden_email_hard_bounced
    from contact_points
    group by customer_id
),

engagement as (
    select * from {{ ref('int_customer__engagement') }}
),

consent_summary as (
    select * from {{ ref('customer_consent_summary') }}
),

clv as (
    select * from {{ ref('customer_clv') }}
),

households as (
    select * from {{ ref('customer_households') }}
),

final as (
    select
        cast(customers.customer_id as varchar) as customer_id,
        -- golden record; none for an erased customer (governance rule 5: records linked to an erased
        -- subject only by the identity pipeline are kept for privacy review, not shown here)
        cast({{ null_if_erased('golden_values.first_name', erased_customer) }} as varchar) as first_name,
        cast({{ null_if_erased('golden_values.last_name', erased_customer) }} as varchar) as last_name,
        cast({{ null_if_erased('golden_values.full_name', erased_customer) }} as varchar) as full_name,
        cast({{ null_if_erased('golden_values.email', erased_customer) }} as varchar) as email,
        cast({{ null_if_erased('golden_values.phone', erased_customer) }} as varchar) as phone,
        cast({{ null_if_erased('golden_values.street', erased_customer) }} as varchar) as street,
        cast({{ null_if_erased('golden_values.city', erased_customer) }} as varchar) as city,
        cast({{ null_if_erased('golden_values.postcode', erased_customer) }} as varchar) as postcode,
        cast(golden_values.address_country_code as varchar) as address_country_code,
        cast(golden_values.country_code as varchar) as country_code,
        cast({{ null_if_erased('golden_values.birth_date', erased_customer) }} as date) as birth_date,
        cast({{ age_in_years(null_if_erased('golden_values.birth_date', erased_customer)) }} as integer) as age,
        -- identity
        cast(least(
            coalesce(customers.first_record_at, order_summaries.first_order_at),
            coalesce(order_summaries.first_order_at, customers.first_record_at)
        ) as timestamp) as first_seen_at,
        cast(greatest(
            coalesce(customers.last_record_at, order_summaries.last_order_at),
            coalesce(order_summaries.last_order_at, customers.last_record_at)
        ) as timestamp) as last_seen_at,
        cast(sources_present.sources_present as varchar) as sources_present,
        cast(sources_present.source_count as integer) as source_count,
        cast(customers.identity_record_count as bigint) as identity_record_count,
        cast(customers.identity_confidence as double) as identity_confidence,
        cast(customers.needs_review as boolean) as needs_review,
        -- household (customer_households: customers sharing an address or a mailbox, never merged)
        cast(households.household_id as varchar) as household_id,
        cast(coalesce(households.household_size, 1) as integer) as household_size,
        -- orders
        cast(coalesce(order_summaries.order_count, 0) as bigint) as order_count,
        cast(coalesce(order_summaries.revenue_order_count, 0) as bigint) as revenue_order_count,
        cast(revenue_by_currency.net_revenue_by_currency as map(varchar, decimal(18, 2))) as net_revenue_by_currency,  -- noqa: LT01
        cast(coalesce(order_summaries.net_revenue_reporting, 0) as decimal(18, 2)) as net_revenue_reporting,
        cast('{{ var("reporting_currency") }}' as varchar) as reporting_currency,
        cast(
            order_summaries.net_revenue_reporting / nullif(order_summaries.revenue_order_count, 0) as decimal(18, 2)
        ) as average_order_value_reporting,
        cast(order_summaries.first_order_at as timestamp) as first_order_at,
        cast(order_summaries.last_order_at as timestamp) as last_order_at,
        cast(favourite_categories.favourite_category as varchar) as favourite_category,
        -- loyalty
        cast(coalesce(loyalty.loyalty_card_count, 0) as bigint) as loyalty_card_count,
        cast(loyalty.loyalty_tier as varchar) as loyalty_tier,
        cast(loyalty.loyalty_points as bigint) as loyalty_points,
        -- engagement (branch journey)
        cast(engagement.store_visit_count as bigint) as store_visit_count,
        cast(engagement.store_spend_reporting as decimal(18, 2)) as store_spend_reporting,
        cast(engagement.last_store_visit_at as timestamp) as last_store_visit_at,
        cast(engagement.support_ticket_count as bigint) as support_ticket_count,
        cast(engagement.open_ticket_count as bigint) as open_ticket_count,
        cast(engagement.last_satisfaction_score as integer) as last_satisfaction_score,
        cast(engagement.last_email_open_at as timestamp) as last_email_open_at,
        cast(engagement.last_email_click_at as timestamp) as last_email_click_at,
        cast(engagement.is_email_bounced as boolean) as is_email_bounced,
        cast(engagement.is_email_unsubscribed as boolean) as is_email_unsubscribed,
        cast(engagement.web_session_count as bigint) as web_session_count,
        cast(engagement.last_web_visit_at as timestamp) as last_web_visit_at,
        cast(engagement.product_view_count as bigint) as product_view_count,
        cast(engagement.has_abandoned_cart as boolean) as has_abandoned_cart,
        -- consent (branch consent)
        cast(consent_summary.can_email_marketing as boolean) as can_email_marketing,
        cast(consent_summary.can_sms_marketing as boolean) as can_sms_marketing,
        cast(consent_summary.can_personalised_ads as boolean) as can_personalised_ads,
        cast(consent_summary.has_objected_to_marketing as boolean) as has_objected_to_marketing,
        cast(consent_summary.has_objected_to_profiling as boolean) as has_objected_to_profiling,
        cast(consent_summary.is_erased as boolean) as is_erased,
        cast(consent_summary.is_minor as boolean) as is_minor,
        -- CLV and segments (branch clv)
        cast(clv.probability_alive as double) as probability_alive,
        cast(clv.expected_purchases_365d as double) as expected_purchases_365d,
        cast(clv.predicted_clv_12m as decimal(18, 2)) as predicted_clv_12m,
        cast(clv.clv_tier as varchar) as clv_tier,
        cast(clv.rfm_segment as varchar) as rfm_segment,
        cast(clv.lifecycle_stage as varchar) as lifecycle_stage,
        cast(clv.marketing_segment as varchar) as marketing_segment,
        -- data quality
        cast(coalesce(contact_quality.is_email_stale, false) as boolean) as is_email_stale,
        cast(coalesce(contact_quality.is_phone_stale, false) as boolean) as is_phone_stale,
        cast(coalesce(contact_quality.has_invalid_email, false) as boolean) as has_invalid_email,
        cast(coalesce(contact_quality.has_invalid_phone, false) as boolean) as has_invalid_phone,
        cast(coalesce(contact_quality.has_invalid_address, false) as boolean) as has_invalid_address,
        cast(coalesce(contact_quality.is_golden_email_hard_bounced, false) as boolean) as is_golden_email_hard_bounced,
        cast(coalesce(birth_date_conflicts.birth_date_value_count, 0) > 1 as boolean) as has_conflicting_birth_dates,
        {{ build_reference_timestamp() }} as updated_at
    from customers
    left join sources_present
        on customers.customer_id = sources_present.customer_id
    left join golden_values
        on customers.customer_id = golden_values.customer_id
    left join birth_date_conflicts
        on customers.customer_id = birth_date_conflicts.customer_id
    left join order_summaries
        on customers.customer_id = order_summaries.customer_id
    left join revenue_by_currency
        on customers.customer_id = revenue_by_currency.customer_id
    left join favourite_categories
        on
            customers.customer_id = favourite_categories.customer_id
            and favourite_categories.category_rank = 1
    left join loyalty
        on customers.customer_id = loyalty.customer_id
    left join contact_quality
        on customers.customer_id = contact_quality.customer_id
    left join engagement
        on customers.customer_id = engagement.customer_id
    left join consent_summary
        on customers.customer_id = consent_summary.customer_id
    left join clv
        on customers.customer_id = clv.customer_id
    left join households
        on customers.customer_id = households.customer_id
)

select * from final
