{#- Every audience_* model carries the consent governance tests of tests/generic/audience_rules.sql (rules 1, 3, 4, 7). -#}
{%- set required = ['audience_has_valid_consent', 'audience_excludes_withdrawn_objected_suppressed', 'audience_excludes_minors'] -%}
{%- set problems = [] -%}
{%- set attached = {} -%}
{%- for test in project_nodes('test') if test.test_metadata -%}
    {%- do attached.setdefault(test.get('attached_node') or (test.depends_on.nodes | first), []).append(test.test_metadata.name) -%}
{%- endfor -%}
{%- for node in project_nodes('model') if node.name.startswith('audience_') -%}
    {%- for test_name in required if test_name not in attached.get(node.unique_id, []) -%}
        {%- do problems.append((node.name, 'does not carry the test ' ~ test_name)) -%}
    {%- endfor -%}
{%- endfor -%}
{{ problems_as_rows(problems) }}
