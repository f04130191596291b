{#- The value of query parameter `name` in a URL expression (NULL when absent); dispatched. -#}
{% macro url_parameter(url, name) -%}
    {{ return(adapter.dispatch('url_parameter', 'single_customer_view')(url, name)) }}
{%- endmacro %}

{% macro default__url_parameter(url, name) -%}
    nullif(regexp_substr({{ url }}, '[?&]{{ name }}=([^&#]+)', 1, 1, 'e', 1), '')
{%- endmacro %}

{% macro duckdb__url_parameter(url, name) -%}
    nullif(regexp_extract({{ url }}, '[?&]{{ name }}=([^&#]+)', 1), '')
{%- endmacro %}
