{#-
    Shared CTEs of the audience governance tests (tests/generic/audience_rules.sql): the rows of
    the audience under test with the kind of address its purpose reaches, and every current
    consent row on the address or on an account (shop, CRM, loyalty) that carries it. Built
    straight from consent_current and the staged accounts, not from the models the audiences
    are built from, so a mistake there is caught.
-#}
{% macro audience_rule_inputs(model) -%}
members as (
    select
        audience.contact_point_key,
        audience.customer_id,
        audience.purpose,
        audience.lawful_basis,
        audience.consent_event_id,
        case when purposes.channel in ('sms', 'phone') then 'phone' else 'email' end as address_type,
        purposes.channel,
        purposes.is_direct_marketing,
        purposes.profiling_based,
        purposes.allows_soft_opt_in
    from {{ model }} as audience
    inner join {{ ref('consent_purposes') }} as purposes
        on audience.purpose = purposes.purpose
),

covering_consent as (
    select
        members.contact_point_key,
        members.purpose,
        consent.consent_state,
        consent.is_valid,
        consent.expires_at,
        consent.lawful_basis,
        consent.consent_event_id
    from members
    inner join (
        {{ consent_rows_by_address(ref('consent_current')) }}
    ) as consent
        on
            members.address_type = consent.address_type
            and members.contact_point_key = consent.address_key
            and members.purpose = consent.purpose
)
{%- endmacro %}


{#-
    consent_rows_by_address(consent_current): every row of consent_current on each sendable
    address it covers - the email or phone it was recorded for, or the email and phone of the
    shop account, CRM contact or loyalty card it was recorded for. Columns: address_type,
    address_key, then every column of consent_current.
-#}
{% macro consent_rows_by_address(consent_current) -%}
    with

    accounts as (
        select 'shop_customer' as account_type, shop_customer_id as account_key, email, phone from {{ ref('stg_shop__customers') }}
        union all
        select 'crm_contact' as account_type, contact_id as account_key, email, phone from {{ ref('stg_crm__contacts') }}
        union all
        select 'loyalty_card' as account_type, card_id as account_key, email, phone from {{ ref('stg_loyalty__members') }}
    ),

    account_addresses as (
        select
            account_type,
            {{ erasure_key('id', 'account_key') }} as account_key,
            'email' as address_type,
            {{ erasure_key('email', 'email') }} as address_key
        from accounts
        union all
        select
            account_type,
            {{ erasure_key('id', 'account_key') }} as account_key,
            'phone' as address_type,
            {{ erasure_key('phone', 'phone') }} as address_key
        from accounts
    )

    select
        consent.contact_point_type as address_type,
        consent.contact_point_key as address_key,
        consent.*
    from {{ consent_current }} as consent
    where consent.contact_point_type in ('email', 'phone')
    union all
    select distinct
        account_addresses.address_type,
        account_addresses.address_key,
        consent.*
    from {{ consent_current }} as consent
    inner join account_addresses
        on
            consent.contact_point_type = account_addresses.account_type
            and consent.contact_point_key = account_addresses.account_key
    where account_addresses.address_key is not null
{%- endmacro %}
