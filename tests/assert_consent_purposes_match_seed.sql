{#-
    The consent purposes staging accepts (landing_enumeration('consent_purpose'), which
    quarantines a consent event with any other purpose as `invalid_value:purpose`) must be
    exactly the purposes of the `consent_purposes` seed that the consent marts read. Returns
    one row per purpose known to only one side.
-#}

with

staging_purposes as (
    select staging_values.purpose
    from (
        values {{ "('" ~ landing_enumeration('consent_purpose') | join("'), ('") ~ "')" }}
    ) as staging_values (purpose)
),

seed_purposes as (
    select distinct purpose
    from {{ ref('consent_purposes') }}
),

only_in_staging as (
    select
        staging_purposes.purpose,
        'accepted by staging, missing from the consent_purposes seed' as problem
    from staging_purposes
    where staging_purposes.purpose not in (select seed_purposes.purpose from seed_purposes)
),

only_in_seed as (
    select
        seed_purposes.purpose,
        'in the consent_purposes seed, quarantined by staging' as problem
    from seed_purposes
    where seed_purposes.purpose not in (select staging_purposes.purpose from staging_purposes)
)

select * from only_in_staging
union all
select * from only_in_seed
