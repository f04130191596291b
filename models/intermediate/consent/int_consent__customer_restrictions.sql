{#-
    What stops marketing to a customer, whatever the contact point: one row per customer of
    customer_identity_map. Most restrictive wins: one objecting, erased or under-age record is
    enough for the whole customer. See the `consent_semantics` doc block.
-#}
with

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

contact_point_customers as (
    select * from {{ ref('int_consent__contact_point_customers') }}
),

consent_current as (
    select * from {{ ref('consent_current') }}
),

purposes as (
    select * from {{ ref('consent_purposes') }}
),

requests as (
    select * from {{ ref('stg_privacy__requests') }}
),

erased_records as (
    select {{ dbt.concat(["'crm:contacts:'", 'contact_id']) }} as record_key
    from {{ ref('stg_crm__contacts') }}
    where is_erased
    union all
    select {{ dbt.concat(["'shop:customers:'", 'shop_customer_id']) }}
    from {{ ref('stg_shop__customers') }}
    where is_erased
    union all
    select {{ dbt.concat(["'shop:orders:'", 'order_id']) }} from {{ ref('stg_shop__orders') }}
    where is_erased
    union all
    select {{ dbt.concat(["'loyalty:members:'", 'card_id']) }} from {{ ref('stg_loyalty__members') }}
    where is_erased
    union all
    select {{ dbt.concat(["'email:subscribers:'", 'subscriber_id']) }}
    from {{ ref('stg_email__subscribers') }}
    where is_erased
    union all
    select {{ dbt.concat(["'support:tickets:'", 'ticket_id']) }} from {{ ref('stg_support__tickets') }}
    where is_erased
    union all
    select {{ dbt.concat(["'ads:leads:'", 'lead_id']) }} from {{ ref('stg_ads__leads') }}
    where is_erased
),

-- objections recorded in the consent ledger, per contact point
ledger_objections as (
    select
        contact_point_customers.customer_id,
        {{ dbt.bool_or('purposes.is_direct_marketing') }} as objected_to_marketing,
        {{ dbt.bool_or('purposes.profiling_based') }} as objected_to_profiling
    from consent_current
    inner join purposes
        on consent_current.purpose = purposes.purpose
    inner join contact_point_customers
        on
            consent_current.contact_point_type = contact_point_customers.contact_point_type
            and consent_current.contact_point_key = contact_point_customers.contact_point_key
    where consent_current.consent_state = 'objected'
    group by contact_point_customers.customer_id
),

-- completed objection requests (GDPR Art. 21): an objection to direct marketing and the profiling behind it
request_objections as (
    select distinct contact_point_customers.customer_id
    from requests
    inner join contact_point_customers
        on
            requests.subject_type = contact_point_customers.contact_point_type
            and {{ canonical_subject_key('requests.subject_type', 'requests.subject_value') }}
            = contact_point_customers.contact_point_key
    where
        requests.request_type = 'objection'
        and requests.status = 'completed'
        and not requests.is_erased
),

erased_customers as (
    select distinct identity_map.customer_id
    from identity_map
    inner join erased_records
        on identity_map.record_key = erased_records.record_key
),

minor_customers as (
    select distinct identity_map.customer_id
    from identity_map
    inner join records
        on identity_map.record_key = records.record_key
    where
        cast(records.date_of_birth as date)
        > {{ dbt.dateadd('year', -1 * var('min_marketing_age', 16), 'current_date') }}
),

customers as (
    select distinct customer_id
    from identity_map
),

final as (
    select
        cast(customers.customer_id as varchar) as customer_id,
        cast(
            coalesce(ledger_objections.objected_to_marketing, false) or request_objections.customer_id is not null
            as boolean
        ) as has_objected_to_marketing,
        cast(
            coalesce(ledger_objections.objected_to_marketing or ledger_objections.objected_to_profiling, false)
            or request_objections.customer_id is not null
            as boolean
        ) as has_objected_to_profiling,
        cast(erased_customers.customer_id is not null as boolean) as is_erased,
        cast(minor_customers.customer_id is not null as boolean) as is_minor
    from customers
    left join ledger_objections
        on customers.customer_id = ledger_objections.customer_id
    left join request_objections
        on customers.customer_id = request_objections.customer_id
    left join erased_customers
        on customers.customer_id = erased_customers.customer_id
    left join minor_customers
        on customers.customer_id = minor_customers.customer_id
)

select * from final
