{#-
    value_between(min_value=none, max_value=none)

    Range test (as dbt_utils' accepted_range, which we cannot install offline): returns the rows
    whose value is below min_value or above max_value (both inclusive). NULLs are not checked.
-#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and (
        1 = 0
        {% if min_value is not none %}or {{ column_name }} < {{ min_value }}{% endif %}
        {% if max_value is not none %}or {{ column_name }} > {{ max_value }}{% endif %}
    )

{% endtest %}
