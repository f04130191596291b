with

erased as (
    select * from {{ ref('stg_privacy__erased_identifiers') }}
),

consent_current as (
    select * from {{ ref('consent_current') }}
),

purposes as (
    select * from {{ ref('consent_purposes') }}
),

requests as (
    select * from {{ ref('stg_privacy__requests') }}
),

subscribers as (
    select * from {{ ref('stg_email__subscribers') }}
),

email_events as (
    select * from {{ ref('stg_email__events') }}
),

entries as (
    -- erased: every identifier of the subject, already hashed, never to be contacted on any channel
    select
        identifier_hash,
        identifier_type,
        'erased' as reason,
        'all' as channel,
        erased_at as suppressed_at
    from erased

    union all

    -- objected to direct marketing (consent ledger): no marketing on any channel
    select
        {{ suppression_hash_by_type(
            'consent_current.contact_point_type', 'consent_current.contact_point_key'
        ) }} as identifier_hash,
        consent_current.contact_point_type as identifier_type,
        'objected' as reason,
        'all' as channel,
        consent_current.valid_from as suppressed_at
    from consent_current
    inner join purposes
        on consent_current.purpose = purposes.purpose
    where
        consent_current.consent_state = 'objected'
        and purposes.is_direct_marketing

    union all

    -- objected to direct marketing (completed data-subject request)
    select
        {{ suppression_hash_by_type('subject_type', canonical_subject_key()) }} as identifier_hash,
        subject_type as identifier_type,
        'objected' as reason,
        'all' as channel,
        completed_at as suppressed_at
    from requests
    where
        request_type = 'objection'
        and status = 'completed'
        and not is_erased

    union all

    -- unsubscribed: the latest ledger event for a direct-marketing purpose is a withdrawal (that purpose's channel)
    select
        {{ suppression_hash_by_type(
            'consent_current.contact_point_type', 'consent_current.contact_point_key'
        ) }} as identifier_hash,
        consent_current.contact_point_type as identifier_type,
        'unsubscribed' as reason,
        consent_current.channel,
        consent_current.valid_from as suppressed_at
    from consent_current
    inner join purposes
        on consent_current.purpose = purposes.purpose
    where
        consent_current.consent_state = 'withdrawn'
        and purposes.is_direct_marketing

    union all

    -- unsubscribed at the email platform
    select
        {{ suppression_hash('email', 'email') }} as identifier_hash,
        'email' as identifier_type,
        'unsubscribed' as reason,
        'email' as channel,
        unsubscribed_at as suppressed_at
    from subscribers
    where
        status = 'unsubscribed'
        and not is_erased

    union all

    -- hard-bounced (a hard bounce event, or cleaned by the email platform)
    select
        {{ suppression_hash('email', 'subscribers.email') }} as identifier_hash,
        'email' as identifier_type,
        'hard_bounced' as reason,
        'email' as channel,
        min(email_events.occurred_at) as suppressed_at
    from subscribers
    left join email_events
        on
            subscribers.subscriber_id = email_events.subscriber_id
            and email_events.event_type = 'bounce'
            and email_events.bounce_type = 'hard'
    where
        not subscribers.is_erased
        and (email_events.event_id is not null or subscribers.status = 'cleaned')
    group by subscribers.email
),

final as (
    select
        cast(identifier_hash as varchar) as identifier_hash,
        cast(min(identifier_type) as varchar) as identifier_type,
        cast(reason as varchar) as reason,
        cast(channel as varchar) as channel,
        cast(min(suppressed_at) as timestamp) as suppressed_at
    from entries
    where identifier_hash is not null
    group by identifier_hash, reason, channel
)

select * from final
