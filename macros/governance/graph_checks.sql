{#-
    Checks over the dbt graph (the manifest), generic so that every model, mart and source added
    later is covered without touching the checks. Each returns a list of (object, problem) pairs;
    the singular tests in tests/governance/ turn the list into rows (problems_as_rows), so a
    problem fails `dbt build`. Only meaningful at execution time (`execute`); at parse time the
    lists are empty.
-#}


{#- The project's own nodes of one resource type. -#}
{% macro project_nodes(resource_type) -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
                if node.resource_type == resource_type and node.package_name == project_name -%}
            {%- do found.append(node) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(found) -}}
{%- endmacro %}


{#- True for a mart: a model under models/marts/. -#}
{% macro is_mart(node) -%}
    {{- return(node.original_file_path.startswith('models/marts/')) -}}
{%- endmacro %}


{#- A column's meta value for `key` (meta, also accepted under config.meta), or none. -#}
{% macro column_meta(column, key) -%}
    {%- set meta = column.get('meta') or {} -%}
    {%- set config_meta = (column.get('config') or {}).get('meta') or {} -%}
    {{- return(meta.get(key, config_meta.get(key))) -}}
{%- endmacro %}


{#- The PII class of a column (meta.pii), or none. -#}
{% macro column_pii(column) -%}
    {{- return(column_meta(column, 'pii')) -}}
{%- endmacro %}


{#-
    Governance rule 8: every mart column has a description and meta.pii in none, direct,
    indirect, sensitive; a mart declares its columns; a mart holding direct PII is tagged `pii`.
-#}
{% macro metadata_coverage_problems() -%}
    {%- set problems = [] -%}
    {%- for node in project_nodes('model') if is_mart(node) -%}
        {%- if node.columns | length == 0 -%}
            {%- do problems.append((node.name, 'declares no columns')) -%}
        {%- endif -%}
        {%- if not node.description -%}
            {%- do problems.append((node.name, 'has no description')) -%}
        {%- endif -%}
        {%- set holds_direct = [] -%}
        {%- for column in node.columns.values() -%}
            {%- set pii = column_pii(column) -%}
            {%- if not column.description -%}
                {%- do problems.append((node.name ~ '.' ~ column.name, 'column has no description')) -%}
            {%- endif -%}
            {%- if pii not in ['none', 'direct', 'indirect', 'sensitive'] -%}
                {%- do problems.append((node.name ~ '.' ~ column.name, 'column has no valid meta.pii (none, direct, indirect, sensitive)')) -%}
            {%- endif -%}
            {%- if pii == 'direct' -%}
                {%- do holds_direct.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if holds_direct and 'pii' not in node.tags -%}
            {%- do problems.append((node.name, 'holds direct PII (' ~ holds_direct | join(', ') ~ ') but is not tagged pii')) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(problems) -}}
{%- endmacro %}


{#-
    Governance rule 8 (metadata coverage), ownership: every model, seed, metric and semantic model
    of the project belongs to a group (models/_groups.yml) whose owner has a name or an email, so
    dbt docs names whom to ask about any table or metric. (Macros are not in dbt's graph variable; their descriptions are checked by
    pytest on the manifest.)
-#}
{% macro ownership_problems() -%}
    {%- set problems = [] -%}
    {%- if execute -%}
        {%- set owners = {} -%}
        {%- for group_node in graph.get('groups', {}).values() if group_node.package_name == project_name -%}
            {%- set owner = group_node.owner or {} -%}
            {%- do owners.update({group_node.name: owner.get('name') or owner.get('email')}) -%}
        {%- endfor -%}
        {%- set owned = [] -%}
        {%- for resource_type in ['model', 'seed'] -%}
            {%- for node in project_nodes(resource_type) -%}
                {%- do owned.append((resource_type, node)) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for resource_type, collection in [('metric', graph.get('metrics', {})),
                                              ('semantic model', graph.get('semantic_models', {}))] -%}
            {%- for node in collection.values() if node.package_name == project_name -%}
                {%- do owned.append((resource_type, node)) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for resource_type, node in owned -%}
            {%- set group_name = node.config.get('group') or node.get('group') -%}
            {%- if not group_name -%}
                {%- do problems.append((node.name, resource_type ~ ' belongs to no group (models/_groups.yml): it has no owner')) -%}
            {%- elif not owners.get(group_name) -%}
                {%- do problems.append((node.name, resource_type ~ ' belongs to group ' ~ group_name ~ ', which names no owner')) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(problems) -}}
{%- endmacro %}


{#-
    Governance rule 8 for the dbt semantic layer: a BI tool reading the metrics must not get
    personal data through them. Every dimension of a semantic model reads only columns of its model
    classified meta.pii none, and no entity or measure reads a column classified direct or
    sensitive (an indirect key such as customer_id may join and be counted). A dimension, entity or
    measure is its `expr`, or its name when it has none; the columns are found in it as whole words.
-#}
{% macro semantic_layer_problems() -%}
    {%- set problems = [] -%}
    {%- if execute -%}
        {%- for semantic_model in graph.get('semantic_models', {}).values()
                if semantic_model.package_name == project_name -%}
            {%- set model_id = semantic_model.depends_on.nodes | first -%}
            {%- set model_node = graph.nodes.get(model_id) -%}
            {%- set classes = {} -%}
            {%- for column in (model_node.columns.values() if model_node else []) -%}
                {%- do classes.update({column.name: column_pii(column)}) -%}
            {%- endfor -%}
            {%- for kind, items, allowed in [('dimension', semantic_model.dimensions, ['none']),
                                              ('entity', semantic_model.entities, ['none', 'indirect']),
                                              ('measure', semantic_model.measures, ['none', 'indirect'])] -%}
                {%- for item in items -%}
                    {%- set sql = item.expr or item.name -%}
                    {%- set used = [] -%}
                    {%- for column_name, pii in classes.items()
                            if modules.re.search('\\b' ~ column_name ~ '\\b', sql | string) -%}
                        {%- do used.append(column_name) -%}
                        {%- if pii not in allowed -%}
                            {%- do problems.append((semantic_model.name ~ '.' ~ item.name, kind ~ ' reads ' ~ column_name ~ ', classified meta.pii ' ~ pii ~ ' (a ' ~ kind ~ ' may read only ' ~ allowed | join(' or ') ~ ')')) -%}
                        {%- endif -%}
                    {%- endfor -%}
                    {%- if not used -%}
                        {%- do problems.append((semantic_model.name ~ '.' ~ item.name, kind ~ ' reads no declared, classified column of ' ~ (model_node.name if model_node else model_id))) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(problems) -}}
{%- endmacro %}


{#-
    Governance rule 14: every model has a tested primary key - a unique and a not_null test on the
    same column (or a not_null constraint), a unique_combination_of_columns test, or a
    primary_key constraint. A model may opt out only with meta.primary_key_exception (the reason).
-#}
{% macro primary_key_problems() -%}
    {%- set unique_columns = {} -%}
    {%- set not_null_columns = {} -%}
    {%- set combination_tested = [] -%}
    {%- for test in project_nodes('test') if test.test_metadata -%}
        {%- set test_name = test.test_metadata.name -%}
        {%- set attached = test.get('attached_node') or (test.depends_on.nodes | first) -%}
        {%- set column_name = test.get('column_name') or test.test_metadata.kwargs.get('column_name') -%}
        {%- if test_name == 'unique' and column_name -%}
            {%- do unique_columns.setdefault(attached, []).append(column_name) -%}
        {%- elif test_name == 'not_null' and column_name -%}
            {%- do not_null_columns.setdefault(attached, []).append(column_name) -%}
        {%- elif test_name == 'unique_combination_of_columns' -%}
            {%- do combination_tested.append(attached) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set problems = [] -%}
    {%- for node in project_nodes('model') -%}
        {%- set constrained_pk = node.constraints | selectattr('type', 'equalto', 'primary_key') | list -%}
        {%- set not_null = not_null_columns.get(node.unique_id, []) -%}
        {%- for column in node.columns.values() -%}
            {%- if column.constraints | selectattr('type', 'in', ['not_null', 'primary_key']) | list -%}
                {%- do not_null.append(column.name) -%}
            {%- endif -%}
            {%- if column.constraints | selectattr('type', 'equalto', 'primary_key') | list -%}
                {%- do constrained_pk.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set tested_key = [] -%}
        {%- for column_name in unique_columns.get(node.unique_id, []) if column_name in not_null -%}
            {%- do tested_key.append(column_name) -%}
        {%- endfor -%}
        {%- if not (tested_key or constrained_pk or node.unique_id in combination_tested
                    or (node.meta or {}).get('primary_key_exception')) -%}
            {%- do problems.append((node.name, 'no tested primary key (unique + not_null, unique_combination_of_columns, or a primary_key constraint)')) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(problems) -}}
{%- endmacro %}


{#-
    Governance rule 16: every source table declares freshness (warn_after or error_after, and a
    loaded_at_field), unless its meta.freshness_exception says why not.
-#}
{% macro freshness_problems() -%}
    {%- set problems = [] -%}
    {%- if execute -%}
        {%- for source_node in graph.sources.values() if source_node.package_name == project_name -%}
            {%- set freshness = source_node.freshness or {} -%}
            {%- set declared = (freshness.get('warn_after') or {}).get('count') or (freshness.get('error_after') or {}).get('count') -%}
            {%- set excepted = (source_node.meta or {}).get('freshness_exception') -%}
            {%- if not excepted and not (declared and source_node.loaded_at_field) -%}
                {%- do problems.append((source_node.source_name ~ '.' ~ source_node.name, 'declares no freshness (warn_after / error_after with a loaded_at_field) and no meta.freshness_exception')) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(problems) -}}
{%- endmacro %}


{#-
    Governance rule 5 (erasure), over every model of the graph: a model that reads a landing source
    directly (the base_ models) carries the raw landing row, erased subjects' data included, before
    erasure is applied. It must stay a view, so that data is never stored in the warehouse; the
    staging models built on it apply erasure and may be tables. A model that reads a source without
    keeping its rows (e.g. to count them) says so in meta.landing_copy_exception.
-#}
{% macro landing_copy_problems() -%}
    {%- set problems = [] -%}
    {%- for node in project_nodes('model') -%}
        {%- set reads_source = [] -%}
        {%- for parent in node.depends_on.nodes if parent.startswith('source.') -%}
            {%- do reads_source.append(parent) -%}
        {%- endfor -%}
        {%- if reads_source and node.config.materialized != 'view'
                and not (node.meta or {}).get('landing_copy_exception') -%}
            {%- do problems.append((node.name, 'reads a landing source directly (' ~ reads_source | join(', ') ~ ') but is materialized as ' ~ node.config.materialized ~ ', which would store raw landing rows, erased subjects included; make it a view')) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(problems) -}}
{%- endmacro %}


{#- (object, problem) pairs as rows of a failing test; no pairs, no rows. -#}
{% macro problems_as_rows(problems) -%}
with

problems as (
    select
        cast(null as {{ dbt.type_string() }}) as object_name,
        cast(null as {{ dbt.type_string() }}) as problem
    where 1 = 0
    {%- for object_name, problem in problems %}

    union all

    select
        '{{ object_name }}' as object_name,
        '{{ problem | replace("'", "''") }}' as problem
    {%- endfor %}
)

select * from problems
{%- endmacro %}
