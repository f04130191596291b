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

web_email_clicks as (
    -- the email subscriber whose click id (mc_eid) a visitor's landing URL carried, most frequent first
    select
        anonymous_id,
        {{ url_parameter('page_url', 'mc_eid') }} as email_subscriber_id,
        row_number() over (
            partition by anonymous_id
            order by count(*) desc, {{ url_parameter('page_url', 'mc_eid') }} asc
        ) as click_rank
    from web_events
    where {{ url_parameter('page_url', 'mc_eid') }} is not null
    group by anonymous_id, {{ url_parameter('page_url', 'mc_eid') }}
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
        {{- identity_record_columns({
            'source_system': "'crm'", 'source_table': "'contacts'",
            'source_record_id': 'crm_contacts.contact_id', 'observed_at': 'crm_contacts.updated_at',
            'first_name': 'crm_contacts.first_name', 'last_name': 'crm_contacts.last_name',
            'email': 'crm_contacts.email', 'phone': 'crm_contacts.phone', 'street': 'crm_contacts.street',
            'city': 'crm_contacts.city', 'postcode': 'crm_contacts.postcode', 'country': 'crm_contacts.country',
            'date_of_birth': 'crm_contacts.date_of_birth',
            'crm_surviving_contact_id': 'crm_merges.surviving_contact_id',
            'is_deleted': 'crm_contacts.is_deleted',
        }) }}
    from crm_contacts
    left join crm_merges
        on crm_contacts.contact_id = crm_merges.contact_id

    union all

    select
        {{- identity_record_columns({
            'source_system': "'shop'", 'source_table': "'customers'", 'source_record_id': 'shop_customer_id',
            'observed_at': 'updated_at', 'first_name': 'first_name', 'last_name': 'last_name', 'email': 'email',
            'phone': 'phone', 'street': 'street', 'city': 'city', 'postcode': 'postcode', 'country': 'country',
            'shop_customer_id': 'shop_customer_id', 'is_deleted': 'false',
        }) }}
    from shop_customers

    union all

    select
        {{- identity_record_columns({
            'source_system': "'shop'", 'source_table': "'orders'", 'source_record_id': 'order_id',
            'observed_at': 'created_at', 'first_name': 'first_name', 'last_name': 'last_name', 'email': 'email',
            'phone': 'phone', 'street': 'shipping_street', 'city': 'shipping_city',
            'postcode': 'shipping_postcode', 'country': 'shipping_country',
            'shop_customer_id': 'shop_customer_id', 'is_deleted': 'false',
        }) }}
    from shop_orders

    union all

    select
        {{- identity_record_columns({
            'source_system': "'loyalty'", 'source_table': "'members'", 'source_record_id': 'card_id',
            'observed_at': 'enrolled_at', 'first_name': 'first_name', 'last_name': 'last_name', 'email': 'email',
            'phone': 'phone', 'postcode': 'postcode', 'date_of_birth': 'date_of_birth', 'is_deleted': 'false',
        }) }}
    from loyalty_members

    union all

    select
        {{- identity_record_columns({
            'source_system': "'email'", 'source_table': "'subscribers'", 'source_record_id': 'subscriber_id',
            'observed_at': 'coalesce(opted_in_at, confirmed_at, unsubscribed_at)', 'first_name': 'first_name',
            'email': 'email', 'is_deleted': 'false',
        }) }}
    from email_subscribers

    union all

    select
        {{- identity_record_columns({
            'source_system': "'support'", 'source_table': "'tickets'", 'source_record_id': 'ticket_id',
            'observed_at': 'created_at', 'full_name': 'full_name', 'email': 'email', 'phone': 'phone',
            'is_deleted': 'false',
        }) }}
    from support_tickets

    union all

    select
        {{- identity_record_columns({
            'source_system': "'ads'", 'source_table': "'leads'", 'source_record_id': 'lead_id',
            'observed_at': 'created_at', 'full_name': 'full_name', 'email': 'email', 'phone': 'phone',
            'is_deleted': 'false',
        }) }}
    from ads_leads

    union all

    select
        {{- identity_record_columns({
            'source_system': "'web'", 'source_table': "'events'",
            'source_record_id': 'web_visitors.anonymous_id', 'observed_at': 'web_visitors.first_seen_at',
            'shop_customer_id': 'web_logins.shop_customer_id',
            'email_subscriber_id': 'web_email_clicks.email_subscriber_id',
            'web_account_count': 'cast(coalesce(web_logins.account_count, 0) as integer)', 'is_deleted': 'false',
        }) }}
    from web_visitors
    left join web_logins
        on
            web_visitors.anonymous_id = web_logins.anonymous_id
            and web_logins.account_rank = 1
    left join web_email_clicks
        on
            web_visitors.anonymous_id = web_email_clicks.anonymous_id
            and web_email_clicks.click_rank = 1
),

final as (
    select
        {{ dbt.concat(['source_system', "':'", 'source_table', "':'", 'source_record_id']) }} as record_key,
        *
    from unioned
)

select * from final
