with

base as (
    select * from {{ ref('base_loyalty__members') }}
),

flagged as (
    select
        *,
        {{ is_erased_record({'email': 'email', 'phone': 'phone', 'loyalty_card': 'card_id'}) }} as is_erased
    from base
    where _quarantine_reason is null
),

staged as (
    select
        card_id,
        {{ null_if_erased('first_name') }} as first_name,
        {{ null_if_erased('last_name') }} as last_name,
        {{ null_if_erased('email') }} as email,
        {{ null_if_erased(is_valid_email('email')) }} as is_email_valid,
        {{ null_if_erased('phone') }} as phone,
        {{ null_if_erased('date_of_birth') }} as date_of_birth,
        {{ null_if_erased('postcode') }} as postcode,
        enrolled_at,
        tier,
        points_balance,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
