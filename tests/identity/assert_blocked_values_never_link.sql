-- Governance rule 11: a blocked junk value (blocked_identifier_values) is never a match key, so it
-- can never create a link. Returns normalized keys that equal or match a blocked value.
with

records as (
    select * from {{ ref('int_identity__records') }}
),

blocked as (
    select * from {{ ref('blocked_identifier_values') }}
),

keys as (
    select
        record_key,
        'email' as identifier_type,
        email_norm as key_value
    from records
    where email_norm is not null
    union all
    select
        record_key,
        'phone' as identifier_type,
        replace(phone_e164, '+', '') as key_value
    from records
    where phone_e164 is not null
    union all
    select
        record_key,
        'name' as identifier_type,
        first_name_norm as key_value
    from records
    where first_name_norm is not null
    union all
    select
        record_key,
        'name' as identifier_type,
        last_name_norm as key_value
    from records
    where last_name_norm is not null
    union all
    select
        record_key,
        'postcode' as identifier_type,
        lower(postcode_norm) as key_value
    from records
    where postcode_norm is not null
),

violations as (
    select
        keys.record_key,
        keys.identifier_type,
        keys.key_value,
        blocked.value as blocked_value
    from keys
    inner join blocked
        on
            (keys.identifier_type = blocked.identifier_type or blocked.identifier_type = 'any')
            and (
                (blocked.match_type = 'exact' and keys.key_value = blocked.value)
                or (blocked.match_type = 'pattern' and keys.key_value like blocked.value)
            )
)

select * from violations
