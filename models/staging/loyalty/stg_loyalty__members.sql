with

base as (
    select * from {{ ref('base_loyalty__members') }}
),

staged as (
    select
        card_id,
        first_name,
        last_name,
        email,
        {{ is_valid_email('email') }} as is_email_valid,
        phone,
        date_of_birth,
        postcode,
        enrolled_at,
        tier,
        points_balance,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
