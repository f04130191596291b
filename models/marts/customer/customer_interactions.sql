-- The customer journey: one row per interaction across channels (web events, including those
-- before the visitor logged in; shop orders and refunds; store visits; email events; support
-- tickets; lead forms; consent changes). Raw web and email events older than the retention window
-- (governance rule 6, int_governance__retention_window) are replaced by monthly aggregate rows per customer,
-- channel and type. See the `customer_journey` doc block.
with

web_events as (
    select * from {{ ref('int_web__events_sessionized') }}
),

email_events as (
    select * from {{ ref('stg_email__events') }}
),

orders as (
    select * from {{ ref('orders') }}
),

refunds as (
    select * from {{ ref('stg_shop__refunds') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

leads as (
    select * from {{ ref('stg_ads__leads') }}
),

consent_events as (
    select * from {{ ref('stg_consent__events') }}
),

contact_point_customers as (
    -- which customers a consent subject belongs to (the consent marts' own mapping: canonical
    -- emails and phones, record ids; an address shared by two customers belongs to both)
    select * from {{ ref('int_consent__contact_point_customers') }}
),

customer_keys as (
    select * from {{ ref('int_identity__customer_keys') }}
),

current_customers as (
    select
        record_key,
        customer_id
    from customer_keys
    where valid_to is null
),

retention as (
    select * from {{ ref('int_governance__retention_window') }}
),

web_detail as (
    -- the visitor's customer, for the events before a login too
    select
        {{ dbt.concat(["'web:events:'", 'web_events.event_id']) }} as interaction_key,
        current_customers.customer_id,
        'web' as channel,
        web_events.event_type as interaction_type,
        web_events.occurred_at,
        cast(null as decimal(18, 2)) as value_amount,
        web_events.sku as detail,
        web_events.session_id,
        'web' as source_system,
        'events' as source_table,
        web_events.event_id as source_record_id
    from web_events
    left join current_customers
        on web_events.web_record_key = current_customers.record_key
),

email_detail as (
    select
        {{ dbt.concat(["'email:events:'", 'email_events.event_id']) }} as interaction_key,
        current_customers.customer_id,
        'email' as channel,
        email_events.event_type as interaction_type,
        email_events.occurred_at,
        cast(null as decimal(18, 2)) as value_amount,
        email_events.campaign_id as detail,
        cast(null as varchar) as session_id,
        'email' as source_system,
        'events' as source_table,
        email_events.event_id as source_record_id
    from email_events
    inner join current_customers
        on {{ dbt.concat(["'email:subscribers:'", 'email_events.subscriber_id']) }} = current_customers.record_key
),

behavioural_detail as (
    select * from web_detail
    union all
    select * from email_detail
),

behavioural_kept as (
    select
        behavioural_detail.*,
        1 as event_count,
        false as is_aggregate
    from behavioural_detail
    cross join retention
    where
        retention.cutoff_at is null
        or behavioural_detail.occurred_at >= retention.cutoff_at
),

behavioural_aggregated as (
    -- older detail survives only as monthly counts per customer, channel and type
    select
        {{ dbt.concat([
            "'aggregate:'", 'behavioural_detail.channel', "':'", 'behavioural_detail.interaction_type',
            "':'", 'behavioural_detail.customer_id', "':'",
            'cast(cast(' ~ dbt.date_trunc('month', 'behavioural_detail.occurred_at') ~ ' as date) as varchar)',
        ]) }} as interaction_key,
        behavioural_detail.customer_id,
        behavioural_detail.channel,
        behavioural_detail.interaction_type,
        {{ dbt.date_trunc('month', 'behavioural_detail.occurred_at') }} as occurred_at,
        cast(null as decimal(18, 2)) as value_amount,
        cast(null as varchar) as detail,
        cast(null as varchar) as session_id,
        behavioural_detail.source_system,
        behavioural_detail.source_table,
        cast(null as varchar) as source_record_id,
        count(*) as event_count,
        true as is_aggregate
    from behavioural_detail
    cross join retention
    where behavioural_detail.occurred_at < retention.cutoff_at
    group by
        behavioural_detail.customer_id,
        behavioural_detail.channel,
        behavioural_detail.interaction_type,
        {{ dbt.date_trunc('month', 'behavioural_detail.occurred_at') }},
        behavioural_detail.source_system,
        behavioural_detail.source_table
),

order_interactions as (
    select
        order_key as interaction_key,
        customer_id,
        case when source_system = 'pos' then 'store' else 'shop' end as channel,
        case when source_system = 'pos' then 'store_visit' else 'order' end as interaction_type,
        ordered_at as occurred_at,
        net_revenue_reporting as value_amount,
        coalesce(main_category, store_id) as detail,
        cast(null as varchar) as session_id,
        source_system,
        case when source_system = 'pos' then 'transactions' else 'orders' end as source_table,
        source_order_id as source_record_id,
        1 as event_count,
        false as is_aggregate
    from orders
    where customer_id is not null
),

refund_interactions as (
    select
        {{ dbt.concat(["'shop:refunds:'", 'refunds.refund_id']) }} as interaction_key,
        orders.customer_id,
        'shop' as channel,
        'refund' as interaction_type,
        refunds.created_at as occurred_at,
        cast(-1 * refunds.refund_amount * orders.rate_to_reporting as decimal(18, 2)) as value_amount,
        orders.order_key as detail,
        cast(null as varchar) as session_id,
        'shop' as source_system,
        'refunds' as source_table,
        refunds.refund_id as source_record_id,
        1 as event_count,
        false as is_aggregate
    from refunds
    inner join orders
        on {{ dbt.concat(["'shop:'", 'refunds.order_id']) }} = orders.order_key
    where orders.customer_id is not null
),

ticket_customers as (
    select
        tickets.ticket_id,
        tickets.channel,
        tickets.status,
        tickets.created_at,
        tickets.solved_at,
        tickets.satisfaction_score,
        current_customers.customer_id
    from tickets
    inner join current_customers
        on {{ dbt.concat(["'support:tickets:'", 'tickets.ticket_id']) }} = current_customers.record_key
),

ticket_interactions as (
    select
        {{ dbt.concat(["'support:tickets:'", 'ticket_id', "':opened'"]) }} as interaction_key,
        customer_id,
        'support' as channel,
        'ticket_opened' as interaction_type,
        created_at as occurred_at,
        cast(null as decimal(18, 2)) as value_amount,
        channel as detail,
        cast(null as varchar) as session_id,
        'support' as source_system,
        'tickets' as source_table,
        ticket_id as source_record_id,
        1 as event_count,
        false as is_aggregate
    from ticket_customers

    union all

    select
        {{ dbt.concat(["'support:tickets:'", 'ticket_id', "':solved'"]) }} as interaction_key,
        customer_id,
        'support' as channel,
        'ticket_solved' as interaction_type,
        solved_at as occurred_at,
        cast(null as decimal(18, 2)) as value_amount,
        {{ dbt.concat(["'satisfaction:'", "coalesce(cast(satisfaction_score as varchar), 'none')"]) }} as detail,
        cast(null as varchar) as session_id,
        'support' as source_system,
        'tickets' as source_table,
        ticket_id as source_record_id,
        1 as event_count,
        false as is_aggregate
    from ticket_customers
    where solved_at is not null
),

lead_interactions as (
    select
        {{ dbt.concat(["'ads:leads:'", 'leads.lead_id']) }} as interaction_key,
        current_customers.customer_id,
        'ads' as channel,
        'lead_form' as interaction_type,
        leads.created_at as occurred_at,
        cast(null as decimal(18, 2)) as value_amount,
        {{ dbt.concat(["coalesce(leads.platform, '')", "':'", "coalesce(leads.campaign, '')"]) }} as detail,
        cast(null as varchar) as session_id,
        'ads' as source_system,
        'leads' as source_table,
        leads.lead_id as source_record_id,
        1 as event_count,
        false as is_aggregate
    from leads
    inner join current_customers
        on {{ dbt.concat(["'ads:leads:'", 'leads.lead_id']) }} = current_customers.record_key
),

consent_interactions as (
    select
        {{ dbt.concat([
            "'consent:events:'", 'consent_events.consent_event_id', "':'", 'contact_point_customers.customer_id'
        ]) }} as interaction_key,
        contact_point_customers.customer_id,
        'consent' as channel,
        {{ dbt.concat(["'consent_'", 'consent_events.action']) }} as interaction_type,
        consent_events.occurred_at,
        cast(null as decimal(18, 2)) as value_amount,
        {{ dbt.concat(['consent_events.purpose', "':'", 'consent_events.subject_type']) }} as detail,
        cast(null as varchar) as session_id,
        'consent' as source_system,
        'events' as source_table,
        consent_events.consent_event_id as source_record_id,
        1 as event_count,
        false as is_aggregate
    from consent_events
    inner join contact_point_customers
        on
            consent_events.subject_type = contact_point_customers.contact_point_type
            and {{ canonical_subject_key('consent_events.subject_type', 'consent_events.subject_value') }}
            = contact_point_customers.contact_point_key
),

unioned as (
    select * from behavioural_kept
    union all
    select * from behavioural_aggregated
    union all
    select * from order_interactions
    union all
    select * from refund_interactions
    union all
    select * from ticket_interactions
    union all
    select * from lead_interactions
    union all
    select * from consent_interactions
),

final as (
    select
        cast(interaction_key as varchar) as interaction_key,
        cast(customer_id as varchar) as customer_id,
        cast(channel as varchar) as channel,
        cast(interaction_type as varchar) as interaction_type,
        cast(occurred_at as timestamp) as occurred_at,
        cast(value_amount as decimal(18, 2)) as value_amount,
        cast(case when value_amount is not null then '{{ var("reporting_currency", "EUR") }}' end as varchar)
            as value_currency,
        cast(detail as varchar) as detail,
        cast(event_count as bigint) as event_count,
        cast(is_aggregate as boolean) as is_aggregate,
        cast(session_id as varchar) as session_id,
        cast(source_system as varchar) as source_system,
        cast(source_table as varchar) as source_table,
        cast(source_record_id as varchar) as source_record_id
    from unioned
)

select * from final
