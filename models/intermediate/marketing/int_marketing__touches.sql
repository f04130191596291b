{#-
    Every marketing touch of a customer, one row per touch, as order_attribution credits them
    (see the `attribution` doc block):
    - web_session: a web session whose landing page carries utm parameters (channel by
      utm_medium from seeds/utm_medium_channels.csv, `other` when unlisted);
    - email_click: a click in a campaign email (stg_email__events), the subscriber's customer;
    - email_click_session: a web session that landed with an email click id (mc_eid) and has no
      click event of that subscriber within var attribution_email_click_match_hours (the click
      event already counts it: one click is one touch);
    - lead_form: a social lead form (stg_ads__leads);
    - order_landing: the utm landing page of the shop session that placed an order, at the order time.
-#}
{%- set match_hours = var('attribution_email_click_match_hours', 24) -%}

with

sessions as (
    select * from {{ ref('int_web__sessions') }}
),

email_events as (
    select * from {{ ref('stg_email__events') }}
),

leads as (
    select * from {{ ref('stg_ads__leads') }}
),

orders as (
    select * from {{ ref('int_orders__unified') }}
),

customer_keys as (
    select * from {{ ref('int_identity__customer_keys') }}
),

medium_channels as (
    select * from {{ ref('utm_medium_channels') }}
),

current_customers as (
    select
        record_key,
        customer_id
    from customer_keys
    where valid_to is null
),

email_clicks as (
    select
        email_events.event_id,
        email_events.subscriber_id,
        email_events.campaign_id,
        email_events.occurred_at,
        current_customers.customer_id
    from email_events
    inner join current_customers
        on {{ dbt.concat(["'email:subscribers:'", 'email_events.subscriber_id']) }} = current_customers.record_key
    where email_events.event_type = 'click'
),

utm_sessions as (
    select
        {{ dbt.concat(["'web_session:'", 'session_id']) }} as touch_key,
        'web_session' as touch_type,
        customer_id,
        started_at as touched_at,
        lower(utm_source) as touch_source,
        lower(utm_medium) as touch_medium,
        utm_campaign as touch_campaign,
        session_id as source_record_id
    from sessions
    where
        email_click_id is null
        and (utm_source is not null or utm_medium is not null or utm_campaign is not null)
),

click_sessions as (
    select
        {{ dbt.concat(["'email_click_session:'", 'sessions.session_id']) }} as touch_key,
        'email_click_session' as touch_type,
        sessions.customer_id,
        sessions.started_at as touched_at,
        coalesce(lower(sessions.utm_source), 'email') as touch_source,
        'email' as touch_medium,
        sessions.utm_campaign as touch_campaign,
        sessions.session_id as source_record_id
    from sessions
    where
        sessions.email_click_id is not null
        and not exists (
            select 1 as is_matched
            from email_clicks
            where
                email_clicks.subscriber_id = sessions.email_click_id
                and email_clicks.occurred_at
                >= {{ dbt.dateadd('hour', -match_hours, 'sessions.started_at') }}
                and email_clicks.occurred_at
                <= {{ dbt.dateadd('hour', match_hours, 'sessions.started_at') }}
        )
),

click_events as (
    select
        {{ dbt.concat(["'email_click:'", 'event_id']) }} as touch_key,
        'email_click' as touch_type,
        customer_id,
        occurred_at as touched_at,
        'email' as touch_source,
        'email' as touch_medium,
        campaign_id as touch_campaign,
        event_id as source_record_id
    from email_clicks
),

lead_forms as (
    select
        {{ dbt.concat(["'lead_form:'", 'leads.lead_id']) }} as touch_key,
        'lead_form' as touch_type,
        current_customers.customer_id,
        leads.created_at as touched_at,
        lower(leads.platform) as touch_source,
        'lead_form' as touch_medium,
        leads.campaign as touch_campaign,
        leads.lead_id as source_record_id
    from leads
    inner join current_customers
        on {{ dbt.concat(["'ads:leads:'", 'leads.lead_id']) }} = current_customers.record_key
),

order_landings as (
    select
        {{ dbt.concat(["'order_landing:'", 'order_key']) }} as touch_key,
        'order_landing' as touch_type,
        customer_id,
        ordered_at as touched_at,
        lower({{ url_parameter('landing_site', 'utm_source') }}) as touch_source,
        lower({{ url_parameter('landing_site', 'utm_medium') }}) as touch_medium,
        {{ url_parameter('landing_site', 'utm_campaign') }} as touch_campaign,
        order_key as source_record_id
    from orders
    where
        customer_id is not null
        and (
            {{ url_parameter('landing_site', 'utm_source') }} is not null
            or {{ url_parameter('landing_site', 'utm_medium') }} is not null
        )
),

unioned as (
    select * from utm_sessions
    union all
    select * from click_sessions
    union all
    select * from click_events
    union all
    select * from lead_forms
    union all
    select * from order_landings
),

final as (
    select
        cast(unioned.touch_key as varchar) as touch_key,
        cast(unioned.touch_type as varchar) as touch_type,
        cast(unioned.customer_id as varchar) as customer_id,
        cast(unioned.touched_at as timestamp) as touched_at,
        cast(
            case
                when unioned.touch_type in ('email_click', 'email_click_session') then 'email'
                when unioned.touch_type = 'lead_form' then 'lead_form'
                else coalesce(medium_channels.channel, 'other')
            end as varchar
        ) as channel,
        cast(unioned.touch_source as varchar) as touch_source,
        cast(unioned.touch_medium as varchar) as touch_medium,
        cast(unioned.touch_campaign as varchar) as touch_campaign,
        cast(unioned.source_record_id as varchar) as source_record_id
    from unioned
    left join medium_channels
        on unioned.touch_medium = medium_channels.utm_medium
    where unioned.customer_id is not null
)

select * from final
