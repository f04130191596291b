with

events as (
    select * from {{ ref('stg_consent__events') }}
),

purposes as (
    select * from {{ ref('consent_purposes') }}
),

-- erased subjects' events carry no subject any more: they leave the consent marts (the suppression list keeps them out of audiences)
keyed as (
    select
        events.consent_event_id,
        events.subject_type as contact_point_type,
        {{ canonical_subject_key('events.subject_type', 'events.subject_value') }} as contact_point_key,
        events.purpose,
        purposes.channel,
        events.action as consent_state,
        events.lawful_basis,
        events.occurred_at,
        events.recorded_at,
        events.source_system,
        events.collection_point,
        events.notice_version,
        events.method,
        events.doi_confirmed_at,
        events.evidence_ref,
        events.jurisdiction,
        {{ consent_action_rank('events.action') }} as action_rank
    from events
    inner join purposes
        on events.purpose = purposes.purpose
    where
        not events.is_erased
        -- a subject value with no usable identifier (a phone of under seven digits) names no contact point
        and {{ canonical_subject_key('events.subject_type', 'events.subject_value') }} is not null
),

-- the ledger order of consent_semantics: occurred_at, then recorded_at, then withdrawn/objected after granted
sequenced as (
    select
        *,
        row_number() over (
            partition by contact_point_type, contact_point_key, purpose, channel
            order by occurred_at, recorded_at, action_rank, consent_event_id
        ) as event_sequence,
        count(*) over (
            partition by contact_point_type, contact_point_key, purpose, channel
        ) as event_count
    from keyed
),

with_next as (
    select
        sequenced.*,
        next_event.occurred_at as next_occurred_at
    from sequenced
    left join sequenced as next_event
        on
            sequenced.contact_point_type = next_event.contact_point_type
            and sequenced.contact_point_key = next_event.contact_point_key
            and sequenced.purpose = next_event.purpose
            and sequenced.channel = next_event.channel
            and sequenced.event_sequence + 1 = next_event.event_sequence
),

final as (
    select
        cast(consent_event_id as varchar) as consent_event_id,
        cast(contact_point_type as varchar) as contact_point_type,
        cast(contact_point_key as varchar) as contact_point_key,
        cast(purpose as varchar) as purpose,
        cast(channel as varchar) as channel,
        cast(consent_state as varchar) as consent_state,
        cast(lawful_basis as varchar) as lawful_basis,
        cast(event_sequence as integer) as event_sequence,
        cast(occurred_at as timestamp) as valid_from,
        cast(next_occurred_at as timestamp) as valid_to,
        cast(event_sequence = event_count as boolean) as is_current,
        cast(recorded_at as timestamp) as recorded_at,
        cast(source_system as varchar) as source_system,
        cast(collection_point as varchar) as collection_point,
        cast(notice_version as varchar) as notice_version,
        cast(method as varchar) as method,
        cast(doi_confirmed_at as timestamp) as doi_confirmed_at,
        cast(evidence_ref as varchar) as evidence_ref,
        cast(jurisdiction as varchar) as jurisdiction
    from with_next
)

select * from final
