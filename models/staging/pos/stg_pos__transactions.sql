with

base as (
    select * from {{ ref('base_pos__transactions') }}
),

flagged as (
    select
        *,
        {{ is_erased_record({'loyalty_card': 'loyalty_card_id'}) }} as is_erased
    from base
    where _quarantine_reason is null
),

staged as (
    select
        transaction_id,
        store_id,
        {{ null_if_erased('loyalty_card_id') }} as loyalty_card_id,
        occurred_at,
        currency,
        total_amount,
        items_count,
        payment_method,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
