with

base as (
    select * from {{ ref('base_web__events') }}
),

staged as (
    select
        event_id,
        anonymous_id,
        shop_customer_id,
        event_type,
        occurred_at,
        page_url,
        referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        sku,
        device_type,
        ip_address,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
