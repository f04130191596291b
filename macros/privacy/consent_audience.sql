{#-
    consent_audience(purpose, address_type): the body of an audience_* mart. One row per sendable
    address (`address_type` email or phone) that has a current valid consent (or soft opt-in) for
    `purpose` and passes every rule of the `consent_semantics` doc block: no current withdrawal or
    objection on the address or an account carrying it, not on the suppression list for the
    address's channel (unsubscribed, objected, erased, hard-bounced), linked to at least one
    customer, and no linked customer objected, erased or under the minimum marketing age.
-#}
{% macro consent_audience(purpose, address_type) -%}
{%- set suppression_channels = {'email': ['all', 'email'], 'phone': ['all', 'sms', 'phone']}[address_type] -%}
with

address_states as (
    select * from {{ ref('int_consent__address_states') }}
),

purposes as (
    select * from {{ ref('consent_purposes') }}
),

suppression_list as (
    select * from {{ ref('suppression_list') }}
),

contact_point_customers as (
    select * from {{ ref('int_consent__contact_point_customers') }}
),

restrictions as (
    select * from {{ ref('int_consent__customer_restrictions') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

permitted as (
    select address_states.*
    from address_states
    where
        address_states.address_type = '{{ address_type }}'
        and address_states.purpose = '{{ purpose }}'
        and address_states.has_valid_permission
        and not address_states.is_blocked
),

unsuppressed as (
    select permitted.*
    from permitted
    where not exists (
        select 1
        from suppression_list
        where
            suppression_list.identifier_hash = {{ suppression_hash(address_type, 'permitted.address_key') }}
            and suppression_list.channel in ('{{ suppression_channels | join("', '") }}')
    )
),

-- most restrictive over every customer holding the address
customer_checks as (
    select
        contact_point_customers.contact_point_key as address_key,
        min(contact_point_customers.customer_id) as customer_id,
        count(*) as linked_customer_count,
        {{ dbt.bool_or(
            '(purposes.is_direct_marketing and restrictions.has_objected_to_marketing)'
            ~ ' or (purposes.profiling_based and restrictions.has_objected_to_profiling)'
            ~ ' or restrictions.is_erased or restrictions.is_minor'
        ) }} as is_restricted
    from contact_point_customers
    inner join restrictions
        on contact_point_customers.customer_id = restrictions.customer_id
    cross join purposes
    where
        contact_point_customers.contact_point_type = '{{ address_type }}'
        and purposes.purpose = '{{ purpose }}'
    group by contact_point_customers.contact_point_key
),

{% if address_type == 'phone' -%}
sendable as (
    select
        {{ erasure_key('phone', 'phone') }} as address_key,
        min(phone_e164) as send_to
    from records
    where phone_e164 is not null
    group by {{ erasure_key('phone', 'phone') }}
),
{%- else -%}
sendable as (
    select distinct
        {{ erasure_key('email', 'email') }} as address_key,
        {{ erasure_key('email', 'email') }} as send_to
    from records
    where email is not null
),
{%- endif %}

final as (
    select
        cast(unsuppressed.address_key as varchar) as contact_point_key,
        cast(sendable.send_to as varchar) as send_to,
        cast(customer_checks.customer_id as varchar) as customer_id,
        cast(customer_checks.linked_customer_count as integer) as linked_customer_count,
        cast(unsuppressed.purpose as varchar) as purpose,
        cast(unsuppressed.permission_lawful_basis as varchar) as lawful_basis,
        cast(unsuppressed.permission_event_id as varchar) as consent_event_id,
        cast(unsuppressed.permission_valid_from as timestamp) as consent_valid_from,
        cast(unsuppressed.permission_expires_at as timestamp) as consent_expires_at
    from unsuppressed
    inner join customer_checks
        on unsuppressed.address_key = customer_checks.address_key
    inner join sendable
        on unsuppressed.address_key = sendable.address_key
    where not customer_checks.is_restricted
)

select * from final
{%- endmacro %}
