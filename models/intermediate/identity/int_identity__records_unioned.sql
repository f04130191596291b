{#-
    Every identity-bearing source record in one shape, before normalization
    (int_identity__records adds the match keys). One row per record; web visitors are one
    record per anonymous_id, carrying the shop account they logged into.
-#}
with

crm_contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

crm_merges as (
    select * from {{ ref('stg_crm__contact_merges') }}
),

shop_customers as (
    select * from {{ ref('stg_shop__customers') }}
),

shop_orders as (
    select * from {{ ref('stg_shop__orders') }}
),

loyalty_members as (
    select * from {{ ref('stg_loyalty__members') }}
),

email_subscribers as (
    select * from {{ ref('stg_email__subscribers') }}
),

support_tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

ads_leads as (
    select * from {{ ref('stg_ads__leads') }}
),

web_events as (
    select * from {{ ref('stg_web__events') }}
),

web_logins as (
    -- the shop accounts each visitor (anonymous_id) was logged into, most used first
    select
        anonymous_id,
        shop_customer_id,
        row_number() over (
            partition by anonymous_id
            order by count(*) desc, shop_customer_id asc
        ) as account_rank,
        count(*) over (partition by anonymous_id) as account_count
    from web_events
    where shop_customer_id is not null
    group by anonymous_id, shop_customer_id
),

web_visitors as (
    select
        web_events.anonymous_id,
        min(web_events.occurred_at) as first_seen_at
    from web_events
    group by web_events.anonymous_id
),

unioned as (
    select
        'crm' as source_system,
        'contacts' as source_table,
        crm_contacts.contact_id as source_record_id,
        crm_contacts.updated_at as observed_at,
        crm_contacts.first_name,
        crm_contacts.last_name,
        cast(null as varchar) as full_name,
        crm_contacts.email,
        crm_contacts.phone,
        crm_contacts.street,
        crm_contacts.city,
        crm_contacts.postcode,
        crm_contacts.country,
        crm_contacts.date_of_birth,
        cast(null as varchar) as shop_customer_id,
        crm_merges.surviving_contact_id as crm_surviving_contact_id,
        cast(null as integer) as web_account_count,
        crm_contacts.is_deleted
    from crm_contacts
    left join crm_merges
        on crm_contacts.contact_id = crm_merges.contact_id

    union all

    select
        'shop' as source_system,
        'customers' as source_table,
        shop_customer_id as source_record_id,
        updated_at as observed_at,
        first_name,
        last_name,
        cast(null as varchar) as full_name,
        email,
        phone,
        street,
        city,
        postcode,
        country,
        cast(null as date) as date_of_birth,
        shop_customer_id,
        cast(null as varchar) as crm_surviving_contact_id,
        cast(null as integer) as web_account_count,
        false as is_deleted
    from shop_customers

    union all

    select
        'shop' as source_system,
        'orders' as source_table,
        order_id as source_record_id,
        created_at as observed_at,
        first_name,
        last_name,
        cast(null as varchar) as full_name,
        email,
        phone,
        shipping_street as street,
        shipping_city as city,
        shipping_postcode as postcode,
        shipping_country as country,
        cast(null as date) as date_of_birth,
        shop_customer_id,
        cast(null as varchar) as crm_surviving_contact_id,
        cast(null as integer) as web_account_count,
        false as is_deleted
    from shop_orders

    union all

    select
        'loyalty' as source_system,
        'members' as source_table,
        card_id as source_record_id,
        enrolled_at as observed_at,
        first_name,
        last_name,
        cast(null as varchar) as full_name,
        email,
        phone,
        cast(null as varchar) as street,
        cast(null as varchar) as city,
        postcode,
        cast(null as varchar) as country,
        date_of_birth,
        cast(null as varchar) as shop_customer_id,
        cast(null as varchar) as crm_surviving_contact_id,
        cast(null as integer) as web_account_count,
        false as is_deleted
    from loyalty_members

    union all

    select
        'email' as source_system,
        'subscribers' as source_table,
        subscriber_id as source_record_id,
        coalesce(opted_in_at, confirmed_at, unsubscribed_at) as observed_at,
        first_name,
        cast(null as varchar) as last_name,
        cast(null as varchar) as full_name,
        email,
        cast(null as varchar) as phone,
        cast(null as varchar) as street,
        cast(null as varchar) as city,
        cast(null as varchar) as postcode,
        cast(null as varchar) as country,
        cast(null as date) as date_of_birth,
        cast(null as varchar) as shop_customer_id,
        cast(null as varchar) as crm_surviving_contact_id,
        cast(null as integer) as web_account_count,
        false as is_deleted
    from email_subscribers

    union all

    select
        'support' as source_system,
        'tickets' as source_table,
        ticket_id as source_record_id,
        created_at as observed_at,
        cast(null as varchar) as first_name,
        cast(null as varchar) as last_name,
        full_name,
        email,
        phone,
        cast(null as varchar) as street,
        cast(null as varchar) as city,
        cast(null as varchar) as postcode,
        cast(null as varchar) as country,
        cast(null as date) as date_of_birth,
        cast(null as varchar) as shop_customer_id,
        cast(null as varchar) as crm_surviving_contact_id,
        cast(null as integer) as web_account_count,
        false as is_deleted
    from support_tickets

    union all

    select
        'ads' as source_system,
        'leads' as source_table,
        lead_id as source_record_id,
        created_at as observed_at,
        cast(null as varchar) as first_name,
        cast(null as varchar) as last_name,
        full_name,
        email,
        phone,
        cast(null as varchar) as street,
        cast(null as varchar) as city,
        cast(null as varchar) as postcode,
        cast(null as varchar) as country,
        cast(null as date) as date_of_birth,
        cast(null as varchar) as shop_customer_id,
        cast(null as varchar) as crm_surviving_contact_id,
        cast(null as integer) as web_account_count,
        false as is_deleted
    from ads_leads

    union all

    select
        'web' as source_system,
        'events' as source_table,
        web_visitors.anonymous_id as source_record_id,
        web_visitors.first_seen_at as observed_at,
        cast(null as varchar) as first_name,
        cast(null as varchar) as last_name,
        cast(null as varchar) as full_name,
        cast(null as varchar) as email,
        cast(null as varchar) as phone,
        cast(null as varchar) as street,
        cast(null as varchar) as city,
        cast(null as varchar) as postcode,
        cast(null as varchar) as country,
        cast(null as date) as date_of_birth,
        web_logins.shop_customer_id,
        cast(null as varchar) as crm_surviving_contact_id,
        cast(coalesce(web_logins.account_count, 0) as integer) as web_account_count,
        false as is_deleted
    from web_visitors
    left join web_logins
        on
            web_visitors.anonymous_id = web_logins.anonymous_id
            and web_logins.account_rank = 1
),

final as (
    select
        {{ dbt.concat(['source_system', "':'", 'source_table', "':'", 'source_record_id']) }} as record_key,
        *
    from unioned
)

select * from final
