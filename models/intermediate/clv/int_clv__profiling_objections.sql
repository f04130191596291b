-- Customers who objected to profiling (GDPR Art. 21): no CLV- or segment-driven marketing for them.
-- Interim source until the consent marts exist: the lead will point this ONE model at the consent
-- mart. See the `clv` doc block. A subject objected when
--   * its latest consent-ledger event for purpose profiling is withdrawn or objected, or its latest
--     event for any purpose is an objection (an objection to direct marketing covers the profiling
--     behind it), or
--   * it filed a privacy objection request that was not rejected.
-- Subjects resolve to customers through the identity records (email, phone, shop account, CRM
-- contact, loyalty card) and customer_identity_map.
with

consent_events as (
    select * from {{ ref('stg_consent__events') }}
),

privacy_requests as (
    select * from {{ ref('stg_privacy__requests') }}
),

identity_records as (
    select * from {{ ref('int_identity__records') }}
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

ranked_events as (
    select
        subject_type,
        subject_value,
        purpose,
        action,
        occurred_at,
        row_number() over (
            partition by subject_type, subject_value, purpose
            order by
                occurred_at desc,
                recorded_at desc,
                case when action in ('withdrawn', 'objected') then 0 else 1 end
        ) as recency_rank
    from consent_events
),

consent_objections as (
    select
        subject_type,
        subject_value,
        occurred_at as objected_at,
        'consent_ledger' as objection_source
    from ranked_events
    where
        recency_rank = 1
        and (
            (purpose = 'profiling' and action in ('withdrawn', 'objected'))
            or action = 'objected'
        )
),

request_objections as (
    select
        subject_type,
        subject_value,
        received_at as objected_at,
        'privacy_request' as objection_source
    from privacy_requests
    where
        request_type = 'objection'
        and status != 'rejected'
),

objections as (
    select * from consent_objections
    union all
    select * from request_objections
),

objection_subjects as (
    select
        subject_type,
        objected_at,
        objection_source,
        case
            when subject_type = 'email' then lower(trim(subject_value))
            else trim(subject_value)
        end as subject_value
    from objections
),

-- every way a consent or privacy subject can name an identity record (equi-joins, no OR join)
record_subjects as (
    select distinct
        subject_type,
        subject_value,
        record_key
    from (
        select
            'email' as subject_type,
            email as subject_value,
            record_key
        from identity_records
        union all
        select
            'email' as subject_type,
            email_norm as subject_value,
            record_key
        from identity_records
        union all
        select
            'phone' as subject_type,
            phone as subject_value,
            record_key
        from identity_records
        union all
        select
            'phone' as subject_type,
            phone_e164 as subject_value,
            record_key
        from identity_records
        union all
        select
            case source_system
                when 'shop' then 'shop_customer'
                when 'crm' then 'crm_contact'
                when 'loyalty' then 'loyalty_card'
            end as subject_type,
            source_record_id as subject_value,
            record_key
        from identity_records
        where
            (source_system = 'shop' and source_table = 'customers')
            or source_system in ('crm', 'loyalty')
    ) as named
    where subject_value is not null
),

subject_records as (
    select
        objection_subjects.objection_source,
        objection_subjects.objected_at,
        record_subjects.record_key
    from objection_subjects
    inner join record_subjects
        on
            objection_subjects.subject_type = record_subjects.subject_type
            and objection_subjects.subject_value = record_subjects.subject_value
),

final as (
    select
        cast(identity_map.customer_id as varchar) as customer_id,
        cast(min(subject_records.objected_at) as timestamp) as first_objected_at,
        cast(
            {{ dbt.listagg(
                "distinct subject_records.objection_source",
                "','",
                "order by subject_records.objection_source",
            ) }}
            as varchar
        ) as objection_sources
    from subject_records
    inner join identity_map
        on subject_records.record_key = identity_map.record_key
    group by identity_map.customer_id
)

select * from final
