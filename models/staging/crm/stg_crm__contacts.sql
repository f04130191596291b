with

base as (
    select * from {{ ref('base_crm__contacts') }}
),

staged as (
    select
        contact_id,
        first_name,
        last_name,
        email,
        {{ is_valid_email('email') }} as is_email_valid,
        phone,
        company,
        street,
        city,
        postcode,
        country,
        date_of_birth,
        created_at,
        updated_at,
        is_deleted,
        merged_into_contact_id,
        invalid_fields
    from base
    where _quarantine_reason is null
)

select * from staged
