{#-
    accepted_values_or_prefixes(values, prefixes)

    Like accepted_values, but a value may also be one of `prefixes` followed by a non-empty
    suffix (e.g. `invalid_timestamp:` + a column name). Returns one row per unexpected value
    with its count. NULLs are not checked (pair it with not_null).
-#}
{% test accepted_values_or_prefixes(model, column_name, values=[], prefixes=[]) %}

select
    {{ column_name }} as unexpected_value,
    count(*) as n_records
from {{ model }}
where
    {{ column_name }} is not null
    {%- if values %}
    and {{ column_name }} not in (
        {%- for value in values -%}
        '{{ value }}'{{ ", " if not loop.last }}
        {%- endfor -%}
    )
    {%- endif %}
    {%- for prefix in prefixes %}
    and not (
        substr({{ column_name }}, 1, {{ prefix | length }}) = '{{ prefix }}'
        and {{ dbt.length(column_name) }} > {{ prefix | length }}
    )
    {%- endfor %}
group by {{ column_name }}

{% endtest %}
