{#- Jaro-Winkler similarity of two strings in [0, 1] (dispatched: the function's name differs per warehouse). -#}
{% macro name_similarity(left, right) -%}
    {{ return(adapter.dispatch('name_similarity', 'single_customer_view')(left, right)) }}
{%- endmacro %}

{% macro default__name_similarity(left, right) -%}
    jarowinkler_similarity({{ left }}, {{ right }})
{%- endmacro %}

{% macro duckdb__name_similarity(left, right) -%}
    jaro_winkler_similarity({{ left }}, {{ right }})
{%- endmacro %}

{% macro snowflake__name_similarity(left, right) -%}
    jarowinkler_similarity({{ left }}, {{ right }}) / 100.0
{%- endmacro %}
