{#-
    The `analytics` schema for BI tools: one view per mart, with every column except those whose
    meta.pii is `direct` (a column without a valid meta.pii is left out too, to be safe). Driven
    by the graph, so a new mart gets its view with no extra line. Created at the end of every
    `dbt build` / `dbt run` (on-run-end in dbt_project.yml) for the marts present in the
    warehouse; also `dbt run-operation create_analytics_views`.
-#}
{% macro analytics_view_columns(node) -%}
    {%- set kept = [] -%}
    {%- for column in node.columns.values() if column_pii(column) in ['none', 'indirect', 'sensitive'] -%}
        {%- do kept.append(column.name) -%}
    {%- endfor -%}
    {{- return(kept) -}}
{%- endmacro %}


{% macro create_analytics_views(schema_name='analytics') -%}
    {%- if execute -%}
        {%- set created = [] -%}
        {%- for node in project_nodes('model') if is_mart(node) -%}
            {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- set columns = analytics_view_columns(node) -%}
            {%- if relation is not none and columns -%}
                {%- set view = api.Relation.create(database=node.database, schema=schema_name, identifier=node.alias, type='view') -%}
                {%- do adapter.create_schema(view) -%}
                {%- set sql -%}
                    create or replace view {{ view }} as
                    select {{ columns | map('string') | join(', ') }} from {{ relation }}
                {%- endset -%}
                {%- do run_query(sql) -%}
                {%- do created.append(node.alias) -%}
            {%- endif -%}
        {%- endfor -%}
        {{ log('analytics views: ' ~ created | length ~ ' created in schema ' ~ schema_name, info=true) }}
    {%- endif -%}
{%- endmacro %}


{#- on-run-end: the warehouse-wide checks and views, after `dbt build` and `dbt run` only. -#}
{% macro governance_on_run_end() -%}
    {%- if execute and flags.WHICH in ['build', 'run'] -%}
        {%- do create_analytics_views() -%}
        {%- do check_erasure_reached_everything() -%}
    {%- endif -%}
    select 1
{%- endmacro %}
