with

history as (
    select * from {{ ref('consent_history') }}
),

purposes as (
    select * from {{ ref('consent_purposes') }}
),

double_opt_in as (
    select * from {{ ref('double_opt_in_jurisdictions') }}
),

shop_orders as (
    select * from {{ ref('stg_shop__orders') }}
),

orders as (
    select * from {{ ref('int_orders__unified') }}
),

ledger_current as (
    select
        history.*,
        cast(null as varchar) as soft_opt_in_order_id
    from history
    where history.is_current
),

-- soft opt-in: the email of a paid, counted purchase, for purposes that allow it, where the ledger holds nothing for that email
purchases as (
    select
        {{ erasure_key('email', 'shop_orders.email') }} as email_key,
        shop_orders.order_id,
        shop_orders.created_at,
        row_number() over (
            partition by {{ erasure_key('email', 'shop_orders.email') }}
            order by shop_orders.created_at desc, shop_orders.order_id desc
        ) as recency_rank
    from shop_orders
    inner join orders
        on
            orders.source_system = 'shop'
            and shop_orders.order_id = orders.source_order_id
    where
        orders.is_revenue
        and shop_orders.is_email_valid
        and not shop_orders.is_erased
),

soft_opt_in as (
    select
        cast(null as varchar) as consent_event_id,
        'email' as contact_point_type,
        purchases.email_key as contact_point_key,
        purposes.purpose,
        purposes.channel,
        'granted' as consent_state,
        'soft_opt_in' as lawful_basis,
        cast(1 as integer) as event_sequence,
        purchases.created_at as valid_from,
        cast(null as timestamp) as valid_to,
        true as is_current,
        purchases.created_at as recorded_at,
        'shop' as source_system,
        'checkout' as collection_point,
        cast(null as varchar) as notice_version,
        'purchase' as method,
        cast(null as timestamp) as doi_confirmed_at,
        purchases.order_id as evidence_ref,
        cast(null as varchar) as jurisdiction,
        purchases.order_id as soft_opt_in_order_id
    from purchases
    cross join purposes
    where
        purchases.recency_rank = 1
        and purchases.email_key is not null
        and purposes.allows_soft_opt_in
        and {{ var('soft_opt_in_months', 24) }} > 0
        and not exists (
            select 1 as found
            from history
            where
                history.contact_point_type = 'email'
                and history.contact_point_key = purchases.email_key
                and history.purpose = purposes.purpose
        )
),

combined as (
    select * from ledger_current
    union all
    select * from soft_opt_in
),

assessed as (
    select
        combined.*,
        coalesce(double_opt_in.requires_double_opt_in, false) and combined.purpose = 'marketing_email'
        and combined.lawful_basis = 'consent' as requires_double_opt_in,
        (
            combined.valid_from is not null
            and combined.source_system is not null
            and combined.collection_point is not null
            and combined.notice_version is not null
            and combined.method is not null
        ) as has_complete_proof,
        case
            when combined.lawful_basis = 'soft_opt_in'
                then {{ dbt.dateadd('month', var('soft_opt_in_months', 24), 'combined.valid_from') }}
            {%- if var('consent_expiry_months', none) is not none %}
                when combined.consent_state = 'granted'
                    then {{ dbt.dateadd('month', var('consent_expiry_months'), 'combined.valid_from') }}
            {%- endif %}
        end as expires_at,
        purposes.allows_soft_opt_in
    from combined
    inner join purposes
        on combined.purpose = purposes.purpose
    left join double_opt_in
        on combined.jurisdiction = double_opt_in.country_code
),

final as (
    select
        cast(contact_point_type as varchar) as contact_point_type,
        cast(contact_point_key as varchar) as contact_point_key,
        cast(purpose as varchar) as purpose,
        cast(channel as varchar) as channel,
        cast(consent_state as varchar) as consent_state,
        cast(lawful_basis as varchar) as lawful_basis,
        cast(consent_event_id as varchar) as consent_event_id,
        cast(soft_opt_in_order_id as varchar) as soft_opt_in_order_id,
        cast(valid_from as timestamp) as valid_from,
        cast(recorded_at as timestamp) as recorded_at,
        cast(source_system as varchar) as source_system,
        cast(collection_point as varchar) as collection_point,
        cast(notice_version as varchar) as notice_version,
        cast(method as varchar) as method,
        cast(evidence_ref as varchar) as evidence_ref,
        cast(jurisdiction as varchar) as jurisdiction,
        cast(doi_confirmed_at as timestamp) as doi_confirmed_at,
        cast(
            case
                when not requires_double_opt_in then 'not_required'
                when doi_confirmed_at is not null then 'confirmed'
                else 'missing'
            end as varchar
        ) as double_opt_in_status,
        cast(has_complete_proof as boolean) as has_complete_proof,
        cast(expires_at as timestamp) as expires_at,
        cast(
            consent_state = 'granted'
            and (
                (
                    lawful_basis = 'consent'
                    and has_complete_proof
                    and not (requires_double_opt_in and doi_confirmed_at is null)
                )
                or (lawful_basis = 'soft_opt_in' and allows_soft_opt_in and evidence_ref is not null)
            )
            and (expires_at is null or expires_at > {{ consent_as_of() }})
            as boolean
        ) as is_valid
    from assessed
)

select * from final
