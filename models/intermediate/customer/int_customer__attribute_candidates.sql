{#-
    Every value a customer's identity records carry for a golden-record attribute (name, email,
    phone, address, birth_date, locale): one row per record and attribute where the record has a
    value, valid or not. The survivorship (customer_attribute_provenance) lets only valid values
    compete; customer_contact_points lists the invalid ones too. See the `survivorship` doc block.
-#}
with

records as (
    select * from {{ ref('int_identity__records') }}
),

customer_keys as (
    select * from {{ ref('int_identity__customer_keys') }}
),

crm_contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

shop_customers as (
    select * from {{ ref('stg_shop__customers') }}
),

current_keys as (
    select
        record_key,
        customer_id
    from customer_keys
    where valid_to is null
),

customer_records as (
    -- the customer's live records; soft-deleted CRM contacts give no evidence
    select
        current_keys.customer_id,
        records.record_key,
        records.source_system,
        records.source_table,
        records.source_record_id,
        records.observed_at,
        records.first_name,
        records.last_name,
        records.full_name,
        records.first_name_norm,
        records.last_name_norm,
        records.email,
        records.email_norm,
        records.phone,
        records.phone_e164,
        records.phone_national,
        records.street,
        records.city,
        records.postcode,
        records.country,
        records.street_norm,
        records.city_norm,
        records.postcode_norm,
        records.country_code,
        records.date_of_birth,
        -- when the source first saw the record: its creation time where the source has one
        coalesce(crm_contacts.created_at, shop_customers.created_at, records.observed_at) as first_observed_at
    from records
    inner join current_keys
        on records.record_key = current_keys.record_key
    left join crm_contacts
        on
            records.source_system = 'crm'
            and records.source_record_id = crm_contacts.contact_id
    left join shop_customers
        on
            records.source_system = 'shop'
            and records.source_table = 'customers'
            and records.source_record_id = shop_customers.shop_customer_id
    where not coalesce(records.is_deleted, false)
),

named as (
    -- sources with one full-name field: the first word is the first name, the rest the last name
    select
        *,
        case
            when first_name is null and last_name is null
                then {{ dbt.split_part('full_name', "' '", 1) }}
            else first_name
        end as display_first_name,
        case
            when first_name is null and last_name is null
                then nullif(trim(substr(full_name, length({{ dbt.split_part('full_name', "' '", 1) }}) + 2)), '')
            else last_name
        end as display_last_name
    from customer_records
),

name_candidates as (
    select
        {{- attribute_candidate_columns('name', {
            'value': "case when first_name_norm is null and last_name_norm is null"
                ~ " then trim(concat_ws(' ', display_first_name, display_last_name))"
                ~ " else trim(concat_ws(' ', case when first_name_norm is not null then display_first_name end,"
                ~ " case when last_name_norm is not null then display_last_name end)) end",
            'value_key': "case when first_name_norm is not null or last_name_norm is not null then "
                ~ dbt.concat(["coalesce(first_name_norm, '')", "'|'", "coalesce(last_name_norm, '')"])
                ~ " else lower(trim(concat_ws(' ', display_first_name, display_last_name))) end",
            'is_valid': 'first_name_norm is not null or last_name_norm is not null',
            'invalid_reason': "case when first_name_norm is null and last_name_norm is null then 'blocked_or_empty' end",
            'filled_parts': '(case when first_name_norm is not null then 1 else 0 end)'
                ~ ' + (case when last_name_norm is not null then 1 else 0 end)',
            'first_name': 'case when first_name_norm is not null then display_first_name end',
            'last_name': 'case when last_name_norm is not null then display_last_name end',
        }) }}
    from named
    where coalesce(display_first_name, display_last_name) is not null
),

email_candidates as (
    select
        {{- attribute_candidate_columns('email', {
            'value': 'email',
            'value_key': 'coalesce(email_norm, email)',
            'is_valid': 'email_norm is not null',
            'invalid_reason': "case when email_norm is not null then null when "
                ~ is_valid_email('email') ~ " then 'blocked' else 'malformed' end",
            'filled_parts': '1',
        }) }}
    from customer_records
    where email is not null
),

phone_candidates as (
    select
        {{- attribute_candidate_columns('phone', {
            'value': 'coalesce(phone_e164, trim(phone))',
            'value_key': 'coalesce(phone_e164, trim(phone))',
            'is_valid': 'phone_e164 is not null',
            'invalid_reason': "case when phone_e164 is not null then null when phone_national is not null"
                ~ " then 'ambiguous_country' else 'invalid_or_blocked' end",
            'filled_parts': '1',
        }) }}
    from customer_records
    where phone is not null
),

address_candidates as (
    -- shown as "street, postcode city, country"; compared on the folded parts
    select
        {{- attribute_candidate_columns('address', {
            'value': "concat_ws(', ', case when street_norm is not null then street end,"
                ~ " nullif(trim(concat_ws(' ', postcode_norm, case when city_norm is not null then city end)), ''),"
                ~ " country_code)",
            'value_key': "concat_ws('|', coalesce(street_norm, ''), coalesce(postcode_norm, ''),"
                ~ " coalesce(city_norm, ''), coalesce(country_code, ''))",
            'is_valid': 'coalesce(street_norm, postcode_norm, city_norm) is not null',
            'invalid_reason': "case when coalesce(street_norm, postcode_norm, city_norm) is null then 'blocked_or_empty' end",
            'filled_parts': '(case when street_norm is not null then 1 else 0 end)'
                ~ ' + (case when city_norm is not null then 1 else 0 end)'
                ~ ' + (case when postcode_norm is not null then 1 else 0 end)'
                ~ ' + (case when country_code is not null then 1 else 0 end)',
            'street': 'case when street_norm is not null then street end',
            'city': 'case when city_norm is not null then city end',
            'postcode': 'postcode_norm',
            'country_code': 'country_code',
        }) }}
    from customer_records
    where coalesce(street, city, postcode) is not null
),

birth_date_candidates as (
    select
        {{- attribute_candidate_columns('birth_date', {
            'value': 'cast(cast(date_of_birth as date) as varchar)',
            'value_key': 'cast(cast(date_of_birth as date) as varchar)',
            'is_valid': 'true',
            'filled_parts': '1',
            'birth_date': 'cast(date_of_birth as date)',
        }) }}
    from customer_records
    where date_of_birth is not null
),

locale_candidates as (
    select
        {{- attribute_candidate_columns('locale', {
            'value': 'coalesce(country_code, trim(country))',
            'value_key': 'coalesce(country_code, lower(trim(country)))',
            'is_valid': 'country_code is not null',
            'invalid_reason': "case when country_code is null then 'unknown_country' end",
            'filled_parts': '1',
            'country_code': 'country_code',
        }) }}
    from customer_records
    where country is not null
),

unioned as (
    select * from name_candidates
    union all
    select * from email_candidates
    union all
    select * from phone_candidates
    union all
    select * from address_candidates
    union all
    select * from birth_date_candidates
    union all
    select * from locale_candidates
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(attribute as varchar) as attribute,
        cast(record_key as varchar) as record_key,
        cast(source_system as varchar) as source_system,
        cast(source_table as varchar) as source_table,
        cast(source_record_id as varchar) as source_record_id,
        cast(observed_at as timestamp) as observed_at,
        cast(first_observed_at as timestamp) as first_observed_at,
        cast(value as varchar) as value,
        cast(value_key as varchar) as value_key,
        cast(is_valid as boolean) as is_valid,
        cast(invalid_reason as varchar) as invalid_reason,
        cast(filled_parts as integer) as filled_parts,
        cast(first_name as varchar) as first_name,
        cast(last_name as varchar) as last_name,
        cast(street as varchar) as street,
        cast(city as varchar) as city,
        cast(postcode as varchar) as postcode,
        cast(country_code as varchar) as country_code,
        cast(birth_date as date) as birth_date
    from unioned
)

select * from final
