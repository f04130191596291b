{#-
    Governance rule 5 over the whole warehouse: no model column tagged meta.pii `direct` or
    `sensitive` holds an erased subject's data. Generic over the graph: every model built in the
    warehouse and every such column it declares is checked, so a mart added later is covered
    without touching this macro. A column fails when

    - a value, read as an email or, when it is written like a phone number, as a phone
      (erasure_key), hashes to an identifier listed in stg_privacy__erased_identifiers (a phone is
      compared by its last nine digits, so other digit strings, such as IP addresses, are not read
      as phones: at 1M persons 29 IP addresses shared their digits with an erased phone), or
    - the model has an `is_erased` column and the value is not NULL on an erased row.

    A column whose kind of identifier is in another column (meta.identifier_type_column, e.g.
    consent subjects: subject_type email, phone, shop_customer, ...) is hashed as that kind only:
    at 1M persons a shop customer id (000400004140) read as a phone matched an erased phone's
    last nine digits.

    Runs at the end of every `dbt build` / `dbt run` (on-run-end in dbt_project.yml: a problem
    fails the invocation) and on its own: `dbt run-operation check_erasure_reached_everything`.
-#}
{#- The relation of a project model, looked up in the graph (a hook cannot call ref() conditionally). -#}
{% macro model_relation(model_name) -%}
    {%- for node in project_nodes('model') if node.name == model_name -%}
        {{- return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) -}}
    {%- endfor -%}
    {{- return(none) -}}
{%- endmacro %}


{% macro erasure_check_queries(erased) -%}
    {%- set queries = [] -%}
    {%- for node in project_nodes('model') if node.config.materialized != 'ephemeral' -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- set pii_columns = [] -%}
        {%- for column in node.columns.values() if column_pii(column) in ['direct', 'sensitive'] -%}
            {%- do pii_columns.append(column.name) -%}
        {%- endfor -%}
        {%- if relation is not none and pii_columns and node.name != erased.identifier -%}
            {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
            {%- for column_name in pii_columns if column_name | lower in present -%}
                {%- set value = adapter.quote(column_name) -%}
                {%- set type_column = column_meta(node.columns[column_name], 'identifier_type_column') -%}
                {%- set query -%}
                    select
                        '{{ node.name }}' as model_name,
                        '{{ column_name }}' as column_name,
                        count(*) as erased_rows
                    from {{ relation }}
                    where
                        {{ value }} is not null
                        and (
                            {%- if type_column and type_column | lower in present %}
                            {{ suppression_hash_by_type(adapter.quote(type_column), value) }} in (select identifier_hash from {{ erased }})
                            {%- else %}
                            {{ suppression_hash('email', value) }} in (select identifier_hash from {{ erased }})
                            or (
                                {{ phone_shaped(value) }}
                                and {{ suppression_hash('phone', value) }} in (select identifier_hash from {{ erased }})
                            )
                            {%- endif %}
                            {%- if 'is_erased' in present %}
                            or is_erased
                            {%- endif %}
                        )
                {%- endset -%}
                {%- do queries.append(query) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(queries) -}}
{%- endmacro %}


{% macro check_erasure_reached_everything(raise_on_problem=true) -%}
    {%- set erased = model_relation('stg_privacy__erased_identifiers') if execute else none -%}
    {%- if erased is not none -%}
        {%- set queries = erasure_check_queries(erased) -%}
        {%- if queries -%}
            {%- set results = run_query(queries | join('\nunion all\n')) -%}
            {%- set problems = [] -%}
            {%- for row in results.rows if row[2] > 0 -%}
                {%- do problems.append(row[0] ~ '.' ~ row[1] ~ ': ' ~ row[2] ~ ' rows') -%}
            {%- endfor -%}
            {{ log('erasure check (rule 5): ' ~ queries | length ~ ' PII columns checked, ' ~ problems | length ~ ' holding erased subjects\' data', info=true) }}
            {%- if problems and raise_on_problem -%}
                {{ exceptions.raise_compiler_error("Governance rule 5 broken: erased subjects' data found in " ~ problems | join('; ')) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#-
    True when a text value is written like a phone number: digits with the usual separators
    (+, spaces, brackets, dots, dashes, slashes), and not an IPv4 address.
-#}
{% macro phone_shaped(expression) -%}
    {{ return(adapter.dispatch('phone_shaped', 'single_customer_view')(expression)) }}
{%- endmacro %}

{% macro default__phone_shaped(expression) -%}
    (
        regexp_like(trim(cast({{ expression }} as {{ dbt.type_string() }})), '^[+(]?[0-9][0-9 ()./-]*$')
        and not regexp_like(trim(cast({{ expression }} as {{ dbt.type_string() }})), '^[0-9]{1,3}([.][0-9]{1,3}){3}$')
    )
{%- endmacro %}

{% macro duckdb__phone_shaped(expression) -%}
    (
        regexp_full_match(trim(cast({{ expression }} as varchar)), '[+(]?[0-9][0-9 ()./-]*')
        and not regexp_full_match(trim(cast({{ expression }} as varchar)), '[0-9]{1,3}([.][0-9]{1,3}){3}')
    )
{%- endmacro %}
