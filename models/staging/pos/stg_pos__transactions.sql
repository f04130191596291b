with

base as (
    select * from {{ ref('base_pos__transactions') }}
),

staged as (
    select
        transaction_id,
        store_id,
        loyalty_card_id,
        occurred_at,
        currency,
        total_amount,
        items_count,
        payment_method,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
