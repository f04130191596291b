{#-
    reconciles_with_landing(source_name, table_name)

    Governance rule 13 ("nothing is lost"), applied to the stg model of a landing table:
    returns one row (fails) when the raw landing rows, read exactly as the base model reads
    them (landing_select), do not equal the staged rows plus the rows stg_quarantine__rows
    holds for that source and table.
-#}
{% test reconciles_with_landing(model, source_name, table_name) %}

with

landing as (
    select count(*) as row_count
    from (
        {{ landing_select(source_name, table_name) }}
    ) as landing_rows
),

staged as (
    select count(*) as row_count
    from {{ model }}
),

quarantined as (
    select count(*) as row_count
    from {{ ref('stg_quarantine__rows') }}
    where
        source_system = '{{ source_name }}'
        and source_table = '{{ table_name }}'
)

select
    '{{ source_name }}/{{ table_name }}' as landing_table,
    landing.row_count as landing_rows,
    staged.row_count as staged_rows,
    quarantined.row_count as quarantined_rows
from landing
cross join staged
cross join quarantined
where landing.row_count != staged.row_count + quarantined.row_count

{% endtest %}
