{#-
    Pairs of customers who share a household key: a specific address with a surname (street,
    postcode and last name, as normalized for identity) or an email address (a family mailbox, or
    the newsletter sign-up with nothing but an email that identity resolution keeps apart from the
    mailbox's owner). The address needs the surname because street and postcode alone collide
    between homes as a customer base grows: on the 1M world, address alone gave household
    precision 0.99261, address and surname 0.99975 (docs/measurements.md). One row
    per pair (customer_id_l < customer_id_r), with what they share. A key shared by more than var
    household_max_customers_per_key customers (an office, a block of flats without a flat number, a
    shared placeholder) links nobody. Phones are not household keys: measured on the 100k world,
    shared phones took household precision from 0.99926 to 0.98966 (docs/measurements.md).
    int_customer__households groups the pairs into households.
-#}
with

records as (
    select * from {{ ref('int_identity__records') }}
),

identity_map as (
    -- downstream of the map: a build of customer_identity_map+ rebuilds households with customer_360
    select * from {{ ref('customer_identity_map') }}
),

live_records as (
    -- anonymous web visitors carry no address or email; soft-deleted CRM contacts give no evidence
    select
        identity_map.customer_id,
        records.email_norm,
        records.postcode_norm,
        records.street_norm,
        records.last_name_norm
    from records
    inner join identity_map
        on records.record_key = identity_map.record_key
    where
        records.source_system != 'web'
        and not coalesce(records.is_deleted, false)
),

household_keys as (
    select distinct
        customer_id,
        'address' as evidence,
        postcode_norm || '|' || street_norm || '|' || last_name_norm as household_key
    from live_records
    where postcode_norm is not null and street_norm is not null and last_name_norm is not null

    union all

    select distinct
        customer_id,
        'email' as evidence,
        email_norm as household_key
    from live_records
    where email_norm is not null
),

usable_keys as (
    select
        evidence,
        household_key
    from household_keys
    group by evidence, household_key
    having count(*) between 2 and {{ var('household_max_customers_per_key') }}
),

pairs as (
    select
        left_keys.customer_id as customer_id_l,
        right_keys.customer_id as customer_id_r,
        left_keys.evidence
    from household_keys as left_keys
    inner join usable_keys
        on
            left_keys.evidence = usable_keys.evidence
            and left_keys.household_key = usable_keys.household_key
    inner join household_keys as right_keys
        on
            left_keys.evidence = right_keys.evidence
            and left_keys.household_key = right_keys.household_key
            and left_keys.customer_id < right_keys.customer_id
),

final as (
    select
        customer_id_l,
        customer_id_r,
        bool_or(evidence = 'address') as shares_address,
        bool_or(evidence = 'email') as shares_email
    from pairs
    group by customer_id_l, customer_id_r
)

select * from final
