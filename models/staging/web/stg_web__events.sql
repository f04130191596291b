with

base as (
    select * from {{ ref('base_web__events') }}
),

flagged as (
    select
        *,
        {{ is_erased_record({'shop_customer': 'shop_customer_id'}) }} as is_erased
    from base
    where _quarantine_reason is null
),

staged as (
    select
        event_id,
        anonymous_id,
        {{ null_if_erased('shop_customer_id') }} as shop_customer_id,
        event_type,
        occurred_at,
        {{ null_if_erased('page_url') }} as page_url,
        {{ null_if_erased('referrer') }} as referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        sku,
        device_type,
        {{ null_if_erased('ip_address') }} as ip_address,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
