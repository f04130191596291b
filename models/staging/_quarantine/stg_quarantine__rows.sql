{#-
    A table, not a view like the rest of staging: it scans every landing table, and the
    reconciliation and quarantine tests read it many times, so it is computed once per build.
-#}
{{ config(materialized='table') }}

with

quarantined as (
    {{ quarantine_union(staged_landing_tables()) }}
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'source_system', "'|'", 'source_table', "'|'", 'raw_row', "'|'",
            dbt.cast('copy_number', dbt.type_string())
        ])) }} as quarantine_row_id,
        source_system,
        source_table,
        source_record_id,
        reason,
        raw_row,
        copy_number
    from quarantined
)

select * from final
