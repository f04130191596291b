{#-
    The salted hashes of every identifier of every subject with a completed erasure request
    (see the `erasure_semantics` doc block). The one staging model that reads several base
    models: it must see the records before erasure to find the subject's identifiers, and every
    staging model of a PII-bearing table reads it back to erase its rows (is_erased_record).

    Incremental and append-only: a hash once listed stays listed even if the request later
    disappears from the landing files, so an erased subject never resurrects. Rotating the salt
    needs `dbt build --full-refresh` while the requests are still landed.
-#}
{{ config(materialized='incremental', unique_key='identifier_hash', on_schema_change='fail') }}

with

requests as (
    select * from {{ ref('base_privacy__requests') }}
),

crm_contacts as (
    select * from {{ ref('base_crm__contacts') }}
),

shop_customers as (
    select * from {{ ref('base_shop__customers') }}
),

loyalty_members as (
    select * from {{ ref('base_loyalty__members') }}
),

email_subscribers as (
    select * from {{ ref('base_email__subscribers') }}
),

blocked_values as (
    select * from {{ ref('blocked_identifier_values') }}
),

email_domain_typos as (
    select * from {{ ref('email_domain_typos') }}
),

email_provider_rules as (
    select * from {{ ref('email_provider_rules') }}
),

-- every email written anywhere (trimmed, lowercased), to find all spellings of an erased mailbox
email_values as (
    select email from crm_contacts
    union
    select email from shop_customers
    union
    select email from {{ ref('base_shop__orders') }}
    union
    select email from loyalty_members
    union
    select email from email_subscribers
    union
    select email from {{ ref('base_support__tickets') }}
    union
    select email from {{ ref('base_ads__leads') }}
    union
    select subject_value from {{ ref('base_consent__events') }}
    where subject_type = 'email'
    union
    select subject_value from requests
    where subject_type = 'email'
),

-- the identity layer's canonical mailbox (scv.normalize.normalize_email): typo'd domain fixed, the
-- provider's plus-tag and (where it ignores them) dots removed; an unlisted domain drops plus-tags
email_parts as (
    select distinct
        {{ erasure_key('email', 'email') }} as email_key,
        {{ dbt.split_part(erasure_key('email', 'email'), "'@'", 1) }} as local_part,
        {{ dbt.split_part(erasure_key('email', 'email'), "'@'", 2) }} as domain
    from email_values
    where {{ erasure_key('email', 'email') }} like '%_@_%'
),

email_canonical as (
    select
        email_parts.email_key,
        case
            when coalesce(email_provider_rules.ignores_dots, false)
                then replace(
                    case
                        when coalesce(email_provider_rules.supports_plus_tags, true)
                            then {{ dbt.split_part('email_parts.local_part', "'+'", 1) }}
                        else email_parts.local_part
                    end, '.', ''
                )
            when coalesce(email_provider_rules.supports_plus_tags, true)
                then {{ dbt.split_part('email_parts.local_part', "'+'", 1) }}
            else email_parts.local_part
        end
        || '@'
        || coalesce(email_provider_rules.canonical_domain, email_domain_typos.correct_domain, email_parts.domain)
            as mailbox
    from email_parts
    left join email_domain_typos
        on email_parts.domain = email_domain_typos.typo_domain
    left join email_provider_rules
        on coalesce(email_domain_typos.correct_domain, email_parts.domain) = email_provider_rules.domain
),

erasures as (
    select
        request_id,
        subject_type,
        completed_at,
        {{ canonical_subject_key() }} as subject_key
    from requests
    where
        _quarantine_reason is null
        and request_type = 'erasure'
        and status = 'completed'
),

-- every account-like record (landed, staged or quarantined) with its id, email and phone
accounts as (
    select
        'crm_contact' as account_type,
        contact_id as account_id,
        email,
        phone
    from crm_contacts
    union all
    select
        'shop_customer' as account_type,
        shop_customer_id as account_id,
        email,
        phone
    from shop_customers
    union all
    select
        'loyalty_card' as account_type,
        card_id as account_id,
        email,
        phone
    from loyalty_members
    union all
    select
        'email_subscriber' as account_type,
        subscriber_id as account_id,
        email,
        cast(null as varchar) as phone
    from email_subscribers
),

account_keys as (
    select
        accounts.account_type,
        {{ erasure_key('id', 'accounts.account_id') }} as account_key,
        {{ erasure_key('email', 'accounts.email') }} as email_key,
        email_canonical.mailbox,
        {{ erasure_key('phone', 'accounts.phone') }} as phone_key
    from accounts
    left join email_canonical
        on {{ erasure_key('email', 'accounts.email') }} = email_canonical.email_key
),

erasure_subjects as (
    select
        erasures.*,
        email_canonical.mailbox
    from erasures
    left join email_canonical
        on
            erasures.subject_type = 'email'
            and erasures.subject_key = email_canonical.email_key
),

-- the subject's own records: same id, or same email / phone as the request names
matched_accounts as (
    select
        erasures.request_id,
        erasures.completed_at,
        account_keys.account_type,
        account_keys.account_key,
        account_keys.email_key,
        account_keys.phone_key
    from erasure_subjects as erasures
    inner join account_keys
        on
            (erasures.subject_type = account_keys.account_type and erasures.subject_key = account_keys.account_key)
            or (erasures.subject_type = 'email' and erasures.subject_key = account_keys.email_key)
            or (erasures.subject_type = 'email' and erasures.mailbox = account_keys.mailbox)
            or (erasures.subject_type = 'phone' and erasures.subject_key = account_keys.phone_key)
),

-- one hop: the identifiers of the subject's own records are the subject's too
identifiers as (
    select
        request_id,
        completed_at,
        subject_type as identifier_type,
        subject_key as identifier_value,
        false as is_expanded
    from erasures
    union all
    select
        request_id,
        completed_at,
        account_type as identifier_type,
        account_key as identifier_value,
        true as is_expanded
    from matched_accounts
    union all
    select
        request_id,
        completed_at,
        'email' as identifier_type,
        email_key as identifier_value,
        true as is_expanded
    from matched_accounts
    union all
    select
        request_id,
        completed_at,
        'phone' as identifier_type,
        phone_key as identifier_value,
        true as is_expanded
    from matched_accounts
),

-- a blocked junk value (a shared test mailbox, a placeholder phone) found on a matched record is not followed
kept_identifiers as (
    select identifiers.*
    from identifiers
    where
        identifiers.identifier_value is not null
        and not (
            identifiers.is_expanded
            and exists (
                select 1 as found
                from blocked_values
                where
                    blocked_values.identifier_type in (identifiers.identifier_type, 'any')
                    and (
                        identifiers.identifier_value = blocked_values.value
                        or (
                            blocked_values.match_type = 'pattern'
                            and identifiers.identifier_value like blocked_values.value
                        )
                    )
            )
        )
),

-- every spelling of an erased mailbox (T.Tran31@gmail.com and ttran31+shop@gmail.com are one mailbox)
spelled as (
    select
        kept_identifiers.request_id,
        kept_identifiers.completed_at,
        kept_identifiers.identifier_type,
        kept_identifiers.identifier_value
    from kept_identifiers
    union
    select
        kept_identifiers.request_id,
        kept_identifiers.completed_at,
        'email' as identifier_type,
        spellings.email_key as identifier_value
    from kept_identifiers
    inner join email_canonical as erased_mailbox
        on
            kept_identifiers.identifier_type = 'email'
            and kept_identifiers.identifier_value = erased_mailbox.email_key
    inner join email_canonical as spellings
        on erased_mailbox.mailbox = spellings.mailbox
),

-- an account erased because it carries a listed email or phone is erased with everything keyed by
-- its id (its orders, till sales, email events, web events, consent events): its id is listed too,
-- but not its other emails and phones (the one hop above stays one hop). Without this, a second shop
-- account of the subject kept its orders: 22 customers at 1M persons showed erased records' orders.
account_ids as (
    select distinct
        spelled.request_id,
        spelled.completed_at,
        account_keys.account_type as identifier_type,
        account_keys.account_key as identifier_value
    from spelled
    inner join account_keys
        on
            (spelled.identifier_type = 'email' and spelled.identifier_value = account_keys.email_key)
            or (spelled.identifier_type = 'phone' and spelled.identifier_value = account_keys.phone_key)
    where account_keys.account_key is not null
),

listed as (
    select
        request_id,
        completed_at,
        identifier_type,
        identifier_value
    from spelled
    union all
    select
        request_id,
        completed_at,
        identifier_type,
        identifier_value
    from account_ids
),

hashed as (
    select
        identifier_type,
        {{ suppression_hash_by_type('identifier_type', 'identifier_value') }} as identifier_hash,
        request_id,
        completed_at
    from listed
),

final as (
    select
        cast(identifier_hash as varchar) as identifier_hash,
        cast(min(identifier_type) as varchar) as identifier_type,
        cast(min(request_id) as varchar) as first_request_id,
        cast(min(completed_at) as timestamp) as erased_at
    from hashed
    {%- if is_incremental() %}
    where identifier_hash not in (select listed.identifier_hash from {{ this }} as listed)
    {%- endif %}
    group by identifier_hash
)

select * from final
