{#-
    Data quality of every landing table at every load: one row per build (load) and landing table,
    appended each build (incremental), so the history of a source's quality stays queryable. Rows
    staged and quarantined (with duplicate and invalid-value rates) for all tables; for the tables
    that carry identity fields, completeness and validity of each field and the match rate into
    customers. Rates are shares between 0 and 1.
-#}
{{ config(
    materialized='incremental',
    unique_key=['load_id', 'source_system', 'source_table'],
    on_schema_change='append_new_columns',
) }}

with

quarantine as (
    select * from {{ ref('stg_quarantine__rows') }}
),

identity_records as (
    select * from {{ ref('int_identity__records') }}
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

landing_tables as (
    {{ landing_table_profiles() }}
),

quarantined as (
    select
        source_system,
        source_table,
        count(*) as quarantined_rows,
        sum(
            case when reason in ('exact_duplicate', 'superseded_version', 'conflicting_duplicate_key') then 1 else 0 end
        ) as duplicate_rows
    from quarantine
    group by source_system, source_table
),

landing_counts as (
    {{ landing_row_counts() }}
),

staged as (
    -- landing rows minus quarantined rows (governance rule 13)
    select
        landing_counts.source_system,
        landing_counts.source_table,
        landing_counts.landing_rows,
        landing_counts.invalid_value_rows,
        landing_counts.landing_rows - coalesce(quarantined.quarantined_rows, 0) as staged_rows,
        coalesce(landing_counts.rejected_birth_dates, 0) as rejected_birth_dates
    from landing_counts
    left join quarantined
        on
            landing_counts.source_system = quarantined.source_system
            and landing_counts.source_table = quarantined.source_table
),

customer_sizes as (
    select
        customer_id,
        count(*) as customer_record_count
    from identity_map
    group by customer_id
),

record_fields as (
    -- per identity record: is each field present as sent, and usable after normalization
    select
        identity_records.source_system,
        identity_records.source_table,
        identity_map.customer_id,
        customer_sizes.customer_record_count,
        coalesce(identity_records.first_name, identity_records.last_name, identity_records.full_name) is not null
            as name_present,
        coalesce(identity_records.first_name_norm, identity_records.last_name_norm) is not null as name_usable,
        identity_records.email is not null as email_present,
        identity_records.email_norm is not null as email_usable,
        identity_records.phone is not null as phone_present,
        identity_records.phone_e164 is not null as phone_usable,
        identity_records.date_of_birth is not null as birth_date_usable,
        identity_records.postcode is not null as postcode_present,
        identity_records.postcode_norm is not null as postcode_usable,
        identity_records.country is not null as country_present,
        identity_records.country_code is not null as country_usable
    from identity_records
    inner join identity_map
        on identity_records.record_key = identity_map.record_key
    inner join customer_sizes
        on identity_map.customer_id = customer_sizes.customer_id
),

identity_quality as (
    select
        source_system,
        source_table,
        count(*) as identity_record_count,
        count(distinct customer_id) as customer_count,
        sum(case when customer_record_count > 1 then 1 else 0 end) as matched_record_count,
        sum(case when name_present then 1 else 0 end) as name_present_count,
        sum(case when name_usable then 1 else 0 end) as name_usable_count,
        sum(case when email_present then 1 else 0 end) as email_present_count,
        sum(case when email_usable then 1 else 0 end) as email_usable_count,
        sum(case when phone_present then 1 else 0 end) as phone_present_count,
        sum(case when phone_usable then 1 else 0 end) as phone_usable_count,
        sum(case when birth_date_usable then 1 else 0 end) as birth_date_usable_count,
        sum(case when postcode_present then 1 else 0 end) as postcode_present_count,
        sum(case when postcode_usable then 1 else 0 end) as postcode_usable_count,
        sum(case when country_present then 1 else 0 end) as country_present_count,
        sum(case when country_usable then 1 else 0 end) as country_usable_count
    from record_fields
    group by source_system, source_table
),

final as (
    select
        cast('{{ invocation_id }}' as varchar) as load_id,
        {{ build_reference_timestamp() }} as loaded_at,
        cast(landing_tables.source_system as varchar) as source_system,
        cast(landing_tables.source_table as varchar) as source_table,
        cast(landing_tables.landing_file as varchar) as landing_file,
        cast(staged.landing_rows as bigint) as landing_rows,
        cast(staged.staged_rows as bigint) as staged_rows,
        cast(coalesce(quarantined.quarantined_rows, 0) as bigint) as quarantined_rows,
        cast(
            {{ share('coalesce(quarantined.quarantined_rows, 0)', 'staged.landing_rows') }} as double
        ) as quarantine_rate,
        cast(coalesce(quarantined.duplicate_rows, 0) as bigint) as duplicate_rows,
        cast(
            {{ share('coalesce(quarantined.duplicate_rows, 0)', 'staged.landing_rows') }} as double
        ) as duplicate_rate,
        cast(staged.invalid_value_rows as bigint) as invalid_value_rows,
        cast({{ share('staged.invalid_value_rows', 'staged.staged_rows') }} as double) as invalid_value_rate,
        cast(
            case when landing_tables.is_identity_source then coalesce(identity_quality.identity_record_count, 0) end
            as bigint
        ) as identity_record_count,
        cast(
            case when landing_tables.is_identity_source then coalesce(identity_quality.customer_count, 0) end
            as bigint
        ) as customer_count,
        cast({{ share(
            'identity_quality.matched_record_count', 'identity_quality.identity_record_count'
        ) }} as double) as match_rate,
        cast(case when landing_tables.carries_name then {{ share(
            'identity_quality.name_present_count', 'identity_quality.identity_record_count'
        ) }} end as double) as name_completeness,
        cast(case when landing_tables.carries_name then {{ share(
            'identity_quality.name_usable_count', 'identity_quality.name_present_count'
        ) }} end as double) as name_validity,
        cast(case when landing_tables.carries_email then {{ share(
            'identity_quality.email_present_count', 'identity_quality.identity_record_count'
        ) }} end as double) as email_completeness,
        cast(case when landing_tables.carries_email then {{ share(
            'identity_quality.email_usable_count', 'identity_quality.email_present_count'
        ) }} end as double) as email_validity,
        cast(case when landing_tables.carries_phone then {{ share(
            'identity_quality.phone_present_count', 'identity_quality.identity_record_count'
        ) }} end as double) as phone_completeness,
        cast(case when landing_tables.carries_phone then {{ share(
            'identity_quality.phone_usable_count', 'identity_quality.phone_present_count'
        ) }} end as double) as phone_validity,
        cast(case when landing_tables.carries_birth_date then {{ share(
            'identity_quality.birth_date_usable_count + staged.rejected_birth_dates', 'identity_quality.identity_record_count'
        ) }} end as double) as birth_date_completeness,
        cast(case when landing_tables.carries_birth_date then {{ share(
            'identity_quality.birth_date_usable_count', 'identity_quality.birth_date_usable_count + staged.rejected_birth_dates'
        ) }} end as double) as birth_date_validity,
        cast(case when landing_tables.carries_postcode then {{ share(
            'identity_quality.postcode_present_count', 'identity_quality.identity_record_count'
        ) }} end as double) as postcode_completeness,
        cast(case when landing_tables.carries_postcode then {{ share(
            'identity_quality.postcode_usable_count', 'identity_quality.postcode_present_count'
        ) }} end as double) as postcode_validity,
        cast(case when landing_tables.carries_country then {{ share(
            'identity_quality.country_present_count', 'identity_quality.identity_record_count'
        ) }} end as double) as country_completeness,
        cast(case when landing_tables.carries_country then {{ share(
            'identity_quality.country_usable_count', 'identity_quality.country_present_count'
        ) }} end as double) as country_validity
    from landing_tables
    inner join staged
        on
            landing_tables.source_system = staged.source_system
            and landing_tables.source_table = staged.source_table
    left join quarantined
        on
            landing_tables.source_system = quarantined.source_system
            and landing_tables.source_table = quarantined.source_table
    left join identity_quality
        on
            landing_tables.source_system = identity_quality.source_system
            and landing_tables.source_table = identity_quality.source_table
)

select * from final
