{#-
    Which customers each contact point (an email, a phone, a shop account, a CRM contact, a
    loyalty card, in the canonical form of canonical_subject_key) belongs to, through the identity
    pipeline: one row per contact point and customer. An email or phone shared by several
    customers (a household) maps to each of them; the consent marts then apply the most
    restrictive state of all of them.
-#}
with

records as (
    select * from {{ ref('int_identity__records') }}
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

keys as (
    select
        record_key,
        'email' as contact_point_type,
        {{ erasure_key('email', 'email') }} as contact_point_key
    from records
    union all
    select
        record_key,
        'email' as contact_point_type,
        email_norm as contact_point_key
    from records
    union all
    select
        record_key,
        'phone' as contact_point_type,
        {{ erasure_key('phone', 'phone') }} as contact_point_key
    from records
    union all
    select
        record_key,
        case source_system
            when 'shop' then 'shop_customer'
            when 'crm' then 'crm_contact'
            when 'loyalty' then 'loyalty_card'
            when 'email' then 'email_subscriber'
        end as contact_point_type,
        source_record_id as contact_point_key
    from records
    where
        (source_system = 'shop' and source_table = 'customers')
        or (source_system = 'crm' and source_table = 'contacts')
        or (source_system = 'loyalty' and source_table = 'members')
        or (source_system = 'email' and source_table = 'subscribers')
),

final as (
    select distinct
        cast(keys.contact_point_type as varchar) as contact_point_type,
        cast(keys.contact_point_key as varchar) as contact_point_key,
        cast(identity_map.customer_id as varchar) as customer_id
    from keys
    inner join identity_map
        on keys.record_key = identity_map.record_key
    where
        keys.contact_point_key is not null
        -- an erased account's id (its row stays in staging, without personal data) maps nobody:
        -- its consent events are erased too, and the id is the erased subject's identifier
        and {{ suppression_hash_by_type('keys.contact_point_type', 'keys.contact_point_key') }} not in (
            select erased.identifier_hash from {{ ref('stg_privacy__erased_identifiers') }} as erased
        )
)

select * from final
