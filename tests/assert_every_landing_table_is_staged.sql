{#-
    Coverage of the landing contract by staging (governance rule 13): every table declared in
    a source YAML under models/staging/ must

    - be listed in staged_landing_tables() (so its quarantined rows reach stg_quarantine__rows),
    - have a base model base_<source>__<table> and a stg model stg_<source>__<table>,
    - carry a reconciles_with_landing test on that stg model.

    Returns one row per problem. Built from the manifest, so it fails as soon as a landing table
    is declared without the rest.
-#}
{%- set problems = [] -%}
{%- if execute -%}
    {%- set listed = [] -%}
    {%- for entry in staged_landing_tables() -%}
        {%- do listed.append(entry.source ~ '/' ~ entry.table) -%}
    {%- endfor -%}
    {%- set model_names = [] -%}
    {%- set reconciled = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' -%}
            {%- do model_names.append(node.name) -%}
        {%- elif node.resource_type == 'test' and (node.test_metadata or {}).get('name') == 'reconciles_with_landing' -%}
            {%- set kwargs = node.test_metadata.kwargs -%}
            {%- do reconciled.append(kwargs.source_name ~ '/' ~ kwargs.table_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for source_node in graph.sources.values()
            if source_node.original_file_path.startswith('models/staging/') -%}
        {%- set key = source_node.source_name ~ '/' ~ source_node.name -%}
        {%- set suffix = source_node.source_name ~ '__' ~ source_node.name -%}
        {%- if key not in listed -%}
            {%- do problems.append((key, 'not listed in staged_landing_tables()')) -%}
        {%- endif -%}
        {%- if 'base_' ~ suffix not in model_names -%}
            {%- do problems.append((key, 'no model base_' ~ suffix)) -%}
        {%- endif -%}
        {%- if 'stg_' ~ suffix not in model_names -%}
            {%- do problems.append((key, 'no model stg_' ~ suffix)) -%}
        {%- endif -%}
        {%- if key not in reconciled -%}
            {%- do problems.append((key, 'no reconciles_with_landing test')) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

problems as (
    select
        cast(null as {{ dbt.type_string() }}) as landing_table,
        cast(null as {{ dbt.type_string() }}) as problem
    where 1 = 0
    {%- for key, problem in problems %}

    union all

    select
        '{{ key }}' as landing_table,
        '{{ problem }}' as problem
    {%- endfor %}
)

select * from problems
