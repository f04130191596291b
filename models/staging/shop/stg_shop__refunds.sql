with

base as (
    select * from {{ ref('base_shop__refunds') }}
),

staged as (
    select
        refund_id,
        order_id,
        created_at,
        refund_amount,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
