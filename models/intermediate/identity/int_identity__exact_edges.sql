{#-
    Deterministic links between identity records, one row per pair (record_key_l < record_key_r),
    from high to low confidence. A pair found by several rules keeps the strongest.

    1. crm_merge          the CRM merged the contact into another (stg_crm__contact_merges)
    2. shop_account       an order placed by, or a web visitor logged into, a shop account
    2b. email_click       a web visitor who arrived through a subscriber's email click (the ESP's click
                          id, mc_eid, in the landing URL) belongs to that subscriber
    3. email_and_name     same normalized email and compatible names, and no two different phones or
                          shop accounts on the pair
    4. phone_and_name     same E.164 phone and compatible names; when both records carry a surname
                          and the surnames differ (not swapped, not a typo), also the same birth
                          date: a phone number is shared or reused more often than an email, and
                          at 1M persons 6% of such links joined two people (a married-name change
                          with no birth date is left to the probabilistic model)
    5. email_only         same normalized email, one side without a first name, every named record of
                          that email compatible with each other (a shared household email with two
                          different people on it links nothing by email alone), and the named side's
                          first name, or first initial and surname (`arossi@`), written in the
                          address's local part (the mailbox is theirs: `anna.rossi@` links a
                          nameless record to Anna, not to Anna's husband). Only with var
                          identity_nameless_email_links: the named owner is the likely, not the
                          certain, user of the mailbox (household members use it too)

    "Compatible names": the first names agree (same nickname-canonical name, same metaphone, or
    Jaro-Winkler >= var identity_name_similarity), or are swapped with the last names; and the
    birth dates do not disagree. Surnames may differ (marriage). Blocked junk values never reach
    this model: the normalizer nulls them (governance rule 11).
-#}
{%- set similarity = var('identity_name_similarity', 0.9) -%}
{%- set nameless_email_links = var('identity_nameless_email_links', false) -%}
{%- set max_group = var('identity_max_records_per_key', 500) -%}

with

records as (
    select * from {{ ref('int_identity__records') }}
),

first_name_counts as (
    select * from {{ ref('int_identity__first_name_counts') }}
),

keyed as (
    -- records that take part in key-based rules; orders placed from an account link through it
    select
        records.record_key,
        records.first_name_norm,
        records.first_name_canonical,
        records.first_name_metaphone,
        records.last_name_norm,
        records.date_of_birth,
        records.email_norm,
        records.phone_e164,
        records.shop_customer_id,
        -- how many records write the first name this way: tells a rare spelling (a typo) from a name
        first_name_counts.first_name_records
    from records
    left join first_name_counts on records.first_name_norm = first_name_counts.first_name_norm
    where not (records.source_table = 'orders' and records.shop_customer_id is not null)
),

crm_merge as (
    select
        records.record_key as record_key_a,
        survivor.record_key as record_key_b,
        'crm_merge' as rule,
        1 as rule_rank,
        1.0 as confidence
    from records
    inner join records as survivor
        on
            survivor.source_system = 'crm'
            and records.crm_surviving_contact_id = survivor.source_record_id
    where
        records.source_system = 'crm'
        and records.crm_surviving_contact_id is not null
        and records.crm_surviving_contact_id != records.source_record_id
),

shop_account as (
    select
        records.record_key as record_key_a,
        account.record_key as record_key_b,
        'shop_account' as rule,
        2 as rule_rank,
        1.0 as confidence
    from records
    inner join records as account
        on
            account.source_system = 'shop'
            and account.source_table = 'customers'
            and records.shop_customer_id = account.source_record_id
    where
        records.source_table in ('orders', 'events')
        and records.shop_customer_id is not null
),

email_click as (
    select
        records.record_key as record_key_a,
        subscriber.record_key as record_key_b,
        'email_click' as rule,
        2 as rule_rank,
        0.98 as confidence
    from records
    inner join records as subscriber
        on
            subscriber.source_system = 'email'
            and subscriber.source_table = 'subscribers'
            and records.email_subscriber_id = subscriber.source_record_id
    where
        records.source_system = 'web'
        and records.email_subscriber_id is not null
),

email_groups as (
    select email_norm
    from keyed
    where email_norm is not null
    group by email_norm
    having count(*) between 2 and {{ max_group }}
),

phone_groups as (
    select phone_e164
    from keyed
    where phone_e164 is not null
    group by phone_e164
    having count(*) between 2 and {{ max_group }}
),

email_pairs as (
    select
        l.record_key as record_key_a,
        r.record_key as record_key_b,
        l.email_norm,
        {{ compatible_names('l', 'r', similarity) }} as names_compatible,
        l.first_name_norm is null or r.first_name_norm is null as one_side_nameless,
        -- two different phones, or two different shop accounts, on one email: on the 100k world 18
        -- of 21 such same-email, same-name pairs were two people (a family sharing the mailbox)
        coalesce(l.phone_e164 != r.phone_e164, false)
        or coalesce(l.shop_customer_id != r.shop_customer_id, false) as identifiers_conflict,
        (
            {{ dbt.position("replace(coalesce(l.first_name_norm, r.first_name_norm), ' ', '')",
                            dbt.split_part('l.email_norm', "'@'", 1)) }} > 0
            or {{ dbt.position(
                dbt.concat(["left(coalesce(l.first_name_norm, r.first_name_norm), 1)",
                            "replace(replace(coalesce(l.last_name_norm, r.last_name_norm), ' ', ''), '-', '')"]),
                "replace(replace(replace(" ~ dbt.split_part('l.email_norm', "'@'", 1) ~ ", '.', ''), '_', ''), '-', '')"
            ) }} = 1
        ) as named_side_in_address
    from keyed as l
    inner join keyed as r
        on
            l.email_norm = r.email_norm
            and l.record_key < r.record_key
    where l.email_norm in (select email_groups.email_norm from email_groups)
),

ambiguous_emails as (
    -- emails used by named records that are not all compatible: a shared (household) address
    select email_norm
    from email_pairs
    where not names_compatible and not one_side_nameless
    group by email_norm
),

email_and_name as (
    select
        record_key_a,
        record_key_b,
        'email_and_name' as rule,
        3 as rule_rank,
        0.99 as confidence
    from email_pairs
    where names_compatible and not one_side_nameless and not identifiers_conflict
),

email_only as (
    select
        record_key_a,
        record_key_b,
        'email_only' as rule,
        5 as rule_rank,
        0.95 as confidence
    from email_pairs
    where
        {{ 'true' if nameless_email_links else 'false' }}
        and one_side_nameless
        and not identifiers_conflict
        and named_side_in_address
        and email_norm not in (select ambiguous_emails.email_norm from ambiguous_emails)
),

phone_and_name as (
    select
        l.record_key as record_key_a,
        r.record_key as record_key_b,
        'phone_and_name' as rule,
        4 as rule_rank,
        0.98 as confidence
    from keyed as l
    inner join keyed as r
        on
            l.phone_e164 = r.phone_e164
            and l.record_key < r.record_key
    where
        l.phone_e164 in (select phone_groups.phone_e164 from phone_groups)
        and l.first_name_norm is not null
        and r.first_name_norm is not null
        and {{ compatible_names('l', 'r', similarity) }}
        and (
            l.last_name_norm is null
            or r.last_name_norm is null
            or l.last_name_norm = r.last_name_norm
            or (l.first_name_norm = r.last_name_norm and l.last_name_norm = r.first_name_norm)
            or {{ name_similarity('l.last_name_norm', 'r.last_name_norm') }} >= {{ similarity }}
            or l.date_of_birth = r.date_of_birth
        )
),

all_edges as (
    select * from crm_merge
    union all
    select * from shop_account
    union all
    select * from email_click
    union all
    select * from email_and_name
    union all
    select * from phone_and_name
    union all
    select * from email_only
),

ordered as (
    select
        rule,
        rule_rank,
        confidence,
        least(record_key_a, record_key_b) as record_key_l,
        greatest(record_key_a, record_key_b) as record_key_r
    from all_edges
    where record_key_a != record_key_b
),

strongest as (
    select
        *,
        row_number() over (partition by record_key_l, record_key_r order by rule_rank) as rule_order
    from ordered
),

final as (
    select
        record_key_l,
        record_key_r,
        rule,
        confidence
    from strongest
    where rule_order = 1
)

select * from final
