{#-
    unique_combination_of_columns(combination_of_columns)

    A compound primary key test (dbt_utils' test of the same name, which we cannot install
    offline): returns one row per combination of the listed columns that occurs more than
    once. Pair it with not_null tests on the columns.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(",\n    ") }},
    count(*) as n_records
from {{ model }}
group by {{ combination_of_columns | join(", ") }}
having count(*) > 1

{% endtest %}
