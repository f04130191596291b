{#-
    Helpers of the customer marts.

    age_in_years(birth_date, as_of): completed years between a birth date and `as_of` (a date
    expression, default current_date): the difference in calendar years, minus one when the
    birthday has not come yet in the `as_of` year.
-#}
{% macro age_in_years(birth_date, as_of='current_date') -%}
    (
        {{ dbt.datediff(birth_date, as_of, 'year') }}
        - case
            when extract(month from {{ as_of }}) * 100 + extract(day from {{ as_of }})
                < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
                then 1
            else 0
        end
    )
{%- endmacro %}


{#-
    map_from_rows(key, value): an aggregate that folds the rows of a group into one map from `key`
    to `value`, keys in ascending order (customer_360.net_revenue_by_currency). Maps are not
    portable SQL: each adapter needs its own implementation.
-#}
{% macro map_from_rows(key, value) -%}
    {{ return(adapter.dispatch('map_from_rows', 'single_customer_view')(key, value)) }}
{%- endmacro %}

{% macro default__map_from_rows(key, value) -%}
    {{ exceptions.raise_compiler_error("map_from_rows has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__map_from_rows(key, value) -%}
    map(list({{ key }} order by {{ key }}), list({{ value }} order by {{ key }}))
{%- endmacro %}


{#-
    select_map_entries(relation, map_column): a select of one row per map entry of every row of
    `relation`, as (map_key, map_value), for reconciling maps (tests).
-#}
{% macro select_map_entries(relation, map_column) -%}
    {{ return(adapter.dispatch('select_map_entries', 'single_customer_view')(relation, map_column)) }}
{%- endmacro %}

{% macro default__select_map_entries(relation, map_column) -%}
    {{ exceptions.raise_compiler_error("select_map_entries has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__select_map_entries(relation, map_column) -%}
    select
        unnest(map_keys({{ map_column }})) as map_key,
        unnest(map_values({{ map_column }})) as map_value
    from {{ relation }}
{%- endmacro %}


{#-
    attribute_candidate_columns(attribute, values): the select list of one attribute's block in
    int_customer__attribute_candidates, in the one column order every block shares. `values` maps a
    column to its SQL expression; the record columns are taken as they are, and a part column the
    attribute does not have is a typed NULL.
-#}
{% macro attribute_candidate_columns(attribute, values) -%}
    {%- set record_columns = [
        'customer_id', 'record_key', 'source_system', 'source_table', 'source_record_id', 'observed_at',
        'first_observed_at',
    ] -%}
    {%- set value_columns = [
        ('value', 'varchar'), ('value_key', 'varchar'), ('is_valid', 'boolean'), ('invalid_reason', 'varchar'),
        ('filled_parts', 'integer'), ('first_name', 'varchar'), ('last_name', 'varchar'), ('street', 'varchar'),
        ('city', 'varchar'), ('postcode', 'varchar'), ('country_code', 'varchar'), ('birth_date', 'date'),
    ] -%}
    {%- for name in record_columns %}
        {{ name }},
    {%- endfor %}
        '{{ attribute }}' as attribute,
    {%- for name, data_type in value_columns %}
        {{ values.get(name, 'cast(null as ' ~ data_type ~ ')') }} as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#-
    distinct_value_list(relation, group_by, column, alias): a select of one row per `group_by`
    group of `relation` with the group's distinct values of `column`, sorted and comma-separated,
    as `alias` (e.g. the source systems carrying a value).
-#}
{% macro distinct_value_list(relation, group_by, column, alias) -%}
    select
        {{ group_by | join(',\n        ') }},
        {{ dbt.listagg(column, "','", 'order by ' ~ column) }} as {{ alias }}
    from (
        select distinct
            {{ group_by | join(',\n            ') }},
            {{ column }}
        from {{ relation }}
    ) as distinct_values
    group by {{ group_by | join(', ') }}
{%- endmacro %}


{#- share(numerator, denominator): numerator / denominator as a double; NULL when the denominator is 0. -#}
{% macro share(numerator, denominator) -%}
    cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
