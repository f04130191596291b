with

restrictions as (
    select * from {{ ref('int_consent__customer_restrictions') }}
),

contact_point_customers as (
    select * from {{ ref('int_consent__contact_point_customers') }}
),

email_audience as (
    select * from {{ ref('audience_email_marketing') }}
),

sms_audience as (
    select * from {{ ref('audience_sms_marketing') }}
),

ads_audience as (
    select * from {{ ref('audience_personalised_ads') }}
),

-- the customers whose own email / phone is in an audience (an address shared with another customer counts for both)
reachable as (
    select
        contact_point_customers.customer_id,
        {{ dbt.bool_or('email_audience.contact_point_key is not null') }} as can_email_marketing,
        {{ dbt.bool_or('sms_audience.contact_point_key is not null') }} as can_sms_marketing,
        {{ dbt.bool_or('ads_audience.contact_point_key is not null') }} as can_personalised_ads
    from contact_point_customers
    left join email_audience
        on
            contact_point_customers.contact_point_type = 'email'
            and contact_point_customers.contact_point_key = email_audience.contact_point_key
    left join sms_audience
        on
            contact_point_customers.contact_point_type = 'phone'
            and contact_point_customers.contact_point_key = sms_audience.contact_point_key
    left join ads_audience
        on
            contact_point_customers.contact_point_type = 'email'
            and contact_point_customers.contact_point_key = ads_audience.contact_point_key
    where contact_point_customers.contact_point_type in ('email', 'phone')
    group by contact_point_customers.customer_id
),

final as (
    select
        cast(restrictions.customer_id as varchar) as customer_id,
        cast(coalesce(reachable.can_email_marketing, false) as boolean) as can_email_marketing,
        cast(coalesce(reachable.can_sms_marketing, false) as boolean) as can_sms_marketing,
        cast(coalesce(reachable.can_personalised_ads, false) as boolean) as can_personalised_ads,
        cast(restrictions.has_objected_to_marketing as boolean) as has_objected_to_marketing,
        cast(restrictions.has_objected_to_profiling as boolean) as has_objected_to_profiling,
        cast(restrictions.is_erased as boolean) as is_erased,
        cast(restrictions.is_minor as boolean) as is_minor
    from restrictions
    left join reachable
        on restrictions.customer_id = reachable.customer_id
)

select * from final
