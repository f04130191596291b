with

base as (
    select * from {{ ref('base_crm__contacts') }}
),

flagged as (
    select
        *,
        {{ is_erased_record({'email': 'email', 'phone': 'phone', 'crm_contact': 'contact_id'}) }} as is_erased
    from base
    where _quarantine_reason is null
),

staged as (
    select
        contact_id,
        {{ null_if_erased('first_name') }} as first_name,
        {{ null_if_erased('last_name') }} as last_name,
        {{ null_if_erased('email') }} as email,
        {{ null_if_erased(is_valid_email('email')) }} as is_email_valid,
        {{ null_if_erased('phone') }} as phone,
        {{ null_if_erased('company') }} as company,
        {{ null_if_erased('street') }} as street,
        {{ null_if_erased('city') }} as city,
        {{ null_if_erased('postcode') }} as postcode,
        country,
        {{ null_if_erased('date_of_birth') }} as date_of_birth,
        created_at,
        updated_at,
        is_deleted,
        merged_into_contact_id,
        is_erased,
        invalid_fields
    from flagged
)

select * from staged
