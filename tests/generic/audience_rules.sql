{#-
    Governance tests of every audience_* mart (rules 1, 3, 4, 7). Each returns the audience rows
    that break the rule. An audience model carries all three (the graph check
    assert_audiences_carry_consent_tests fails otherwise).
-#}

{#- Rules 1 and 3: every member has a current, valid, granted consent (or a soft opt-in the purpose allows) with its proof. -#}
{% test audience_has_valid_consent(model) %}
with

{{ audience_rule_inputs(model) }},

proof as (
    select
        history.consent_event_id,
        history.valid_from is not null
        and history.source_system is not null
        and history.collection_point is not null
        and history.notice_version is not null
        and history.method is not null
        and not (
            history.purpose = 'marketing_email'
            and coalesce(doi.requires_double_opt_in, false)
            and history.doi_confirmed_at is null
        ) as is_proven
    from {{ ref('consent_history') }} as history
    left join {{ ref('double_opt_in_jurisdictions') }} as doi
        on history.jurisdiction = doi.country_code
),

permitted as (
    select distinct covering_consent.contact_point_key
    from covering_consent
    left join proof
        on covering_consent.consent_event_id = proof.consent_event_id
    where
        covering_consent.consent_state = 'granted'
        and covering_consent.is_valid
        and (covering_consent.expires_at is null or covering_consent.expires_at > {{ consent_as_of() }})
        and (
            (covering_consent.lawful_basis = 'consent' and proof.is_proven)
            or covering_consent.lawful_basis = 'soft_opt_in'
        )
)

select members.*
from members
where
    members.contact_point_key not in (select permitted.contact_point_key from permitted)
    or (members.lawful_basis = 'soft_opt_in' and not members.allows_soft_opt_in)
{% endtest %}


{#- Rule 4: no member whose address is withdrawn, objected, suppressed or hard-bounced, or whose holder objected. -#}
{% test audience_excludes_withdrawn_objected_suppressed(model) %}
with

{{ audience_rule_inputs(model) }},

blocked as (
    select distinct contact_point_key
    from covering_consent
    where consent_state in ('withdrawn', 'objected')
),

hard_bounced as (
    select distinct {{ erasure_key('email', 'subscribers.email') }} as contact_point_key
    from {{ ref('stg_email__events') }} as events
    inner join {{ ref('stg_email__subscribers') }} as subscribers
        on events.subscriber_id = subscribers.subscriber_id
    where events.event_type = 'bounce' and events.bounce_type = 'hard'
),

objecting_holders as (
    select
        holders.contact_point_type,
        holders.contact_point_key,
        summary.has_objected_to_marketing,
        summary.has_objected_to_profiling,
        summary.is_erased
    from {{ ref('int_consent__contact_point_customers') }} as holders
    inner join {{ ref('customer_consent_summary') }} as summary
        on holders.customer_id = summary.customer_id
)

select
    members.*,
    'withdrawn or objected' as broken_because
from members
where members.contact_point_key in (select blocked.contact_point_key from blocked)

union all

select
    members.*,
    'on the suppression list'
from members
inner join {{ ref('suppression_list') }} as suppression
    on
        suppression.channel in ('all', members.channel, case when members.address_type = 'email' then 'email' else 'sms' end)
        and suppression.identifier_hash = case members.address_type
            when 'email' then {{ suppression_hash('email', 'members.contact_point_key') }}
            else {{ suppression_hash('phone', 'members.contact_point_key') }}
        end

union all

select
    members.*,
    'hard bounce'
from members
where
    members.address_type = 'email'
    and members.contact_point_key in (select hard_bounced.contact_point_key from hard_bounced)

union all

select
    members.*,
    'a holder objected or is erased'
from members
inner join objecting_holders
    on
        members.address_type = objecting_holders.contact_point_type
        and members.contact_point_key = objecting_holders.contact_point_key
where
    (members.is_direct_marketing and objecting_holders.has_objected_to_marketing)
    or (members.profiling_based and objecting_holders.has_objected_to_profiling)
    or objecting_holders.is_erased
{% endtest %}


{#- Rule 7: no member held by a customer with any birth date under the minimum marketing age (var min_marketing_age). -#}
{% test audience_excludes_minors(model) %}
with

{{ audience_rule_inputs(model) }},

minors as (
    select distinct identity_map.customer_id
    from {{ ref('customer_identity_map') }} as identity_map
    inner join {{ ref('int_identity__records') }} as records
        on identity_map.record_key = records.record_key
    where cast(records.date_of_birth as date) > {{ dbt.dateadd('year', -1 * var('min_marketing_age', 16), 'current_date') }}
)

select members.*
from members
inner join {{ ref('int_consent__contact_point_customers') }} as holders
    on
        members.address_type = holders.contact_point_type
        and members.contact_point_key = holders.contact_point_key
where holders.customer_id in (select minors.customer_id from minors)
{% endtest %}
