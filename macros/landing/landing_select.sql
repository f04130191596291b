{#-
    landing_select(source_name, table_name)

    The select every staging model starts from. It reads the landing table through
    `source()` (so lineage is recorded) and enforces the landing contract:

    - the declared columns of the source YAML, in their declared order; extra columns in
      the file are ignored;
    - a column the YAML marks `meta: {optional: true}` that the file lacks is selected as
      a typed NULL;
    - a *required* column the file lacks fails the build with a message naming the file
      and the column;
    - an absent table builds as empty (with a warning naming the file), unless the var
      `strict_landing` is true; if *no* landing table exists at all the build fails,
      since that is almost always a wrong `landing_path`.

    Dispatched: on a warehouse where an extract/load tool loads real tables the default
    implementation just selects the declared columns from the source.
-#}
{% macro landing_select(source_name, table_name) -%}
    {{ return(adapter.dispatch('landing_select', 'single_customer_view')(source_name, table_name)) }}
{%- endmacro %}


{% macro default__landing_select(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set columns = landing_declared_columns(source_name, table_name) -%}
    select
        {%- for column in columns %}
        {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}


{% macro duckdb__landing_select(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        select * from {{ relation }}
    {%- else -%}
        {%- set path = landing_file(source_name, table_name) -%}
        {%- set columns = landing_declared_columns(source_name, table_name) -%}
        {%- if not landing_file_exists(path) -%}
            {%- if var('strict_landing') -%}
                {{ exceptions.raise_compiler_error(
                    "Landing table " ~ source_name ~ "/" ~ table_name ~ " is missing: expected " ~ path
                    ~ " (strict_landing is true)") }}
            {%- endif -%}
            {{ landing_check_any_file_exists() }}
            {{ log("WARNING: landing file " ~ path ~ " is absent; " ~ source_name ~ "/" ~ table_name
                ~ " is staged as an empty table.", info=true) }}
    select
        {%- for column in columns %}
        cast(null as {{ column.data_type }}) as {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
        {%- endfor %}
    where 1 = 0
        {%- else -%}
            {%- set described = run_query("describe select * from read_parquet('" ~ path ~ "')") -%}
            {%- set present = described.columns[0].values() | map('lower') | list -%}
            {%- set missing_required = [] -%}
            {%- for column in columns -%}
                {%- if column.name | lower not in present and not column.optional -%}
                    {%- do missing_required.append(column.name) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if missing_required -%}
                {{ exceptions.raise_compiler_error(
                    "Landing file " ~ path ~ " is missing required column(s): "
                    ~ missing_required | join(", ")
                    ~ ". See the landing contract in the README (source " ~ source_name ~ ", table " ~ table_name ~ ").") }}
            {%- endif %}
    select
        {%- for column in columns %}
        {%- if column.name | lower in present %}
        {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
        {%- else %}
        cast(null as {{ column.data_type }}) as {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ relation }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#-
    The landing folder: the var `landing_path` when given (`--vars '{landing_path: ...}'`), else the
    environment variable SCV_LANDING_PATH, else `data/landing`. The source YAML repeats this
    expression in `external_location` (source YAML cannot call macros).
-#}
{% macro landing_path() -%}
    {{- return(var('landing_path', env_var('SCV_LANDING_PATH', 'data/landing'))) -}}
{%- endmacro %}


{#- The file (or folder of parquet parts) a landing table is read from. -#}
{% macro landing_file(source_name, table_name) -%}
    {{- return(landing_path() ~ '/' ~ source_name ~ '/' ~ table_name ~ '.parquet') -}}
{%- endmacro %}


{% macro landing_file_exists(path) -%}
    {%- set result = run_query(
        "select count(*) from (select file from glob('" ~ path ~ "') "
        ~ "union all select file from glob('" ~ path ~ "/*.parquet'))") -%}
    {{- return(result.columns[0].values()[0] > 0) -}}
{%- endmacro %}


{% macro landing_check_any_file_exists() -%}
    {%- set pattern = landing_path() ~ '/*/*.parquet' -%}
    {%- set result = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
    {%- if result.columns[0].values()[0] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "No landing files found under '" ~ landing_path() ~ "'. Generate a world with "
            ~ "`scv generate --out " ~ landing_path() ~ "` or point the var landing_path "
            ~ "(or SCV_LANDING_PATH) at your landing folder.") }}
    {%- endif -%}
{%- endmacro %}


{#- The columns the source YAML declares for a landing table: name, data_type, optional. -#}
{% macro landing_declared_columns(source_name, table_name) -%}
    {%- set found = [] -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == source_name and node.name == table_name -%}
            {%- for column in node.columns.values() -%}
                {%- do found.append({
                    'name': column.name,
                    'data_type': column.data_type or 'varchar',
                    'optional': (column.meta or {}).get('optional', false),
                }) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error("Source " ~ source_name ~ "." ~ table_name ~ " declares no columns") }}
    {%- endif -%}
    {{- return(found) -}}
{%- endmacro %}
