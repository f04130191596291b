{#-
    accepted_landing_values(enumeration)

    accepted_values against one of the landing contract's governing enumerations, read from
    the landing_enumeration() macro (macros/staging/validation.sql), the same list the base
    models use to quarantine unknown values, so the test and the rule cannot drift apart.
    Returns one row per unexpected value; NULL counts as unexpected (the column is required).
-#}
{% test accepted_landing_values(model, column_name, enumeration) %}

select
    {{ column_name }} as unexpected_value,
    count(*) as n_records
from {{ model }}
where {{ is_unknown_value(column_name, enumeration) }}
group by {{ column_name }}

{% endtest %}
