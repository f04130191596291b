{#-
    behavioural_detail_within_retention(detail_condition)

    Governance rule 6 (storage limitation, GDPR Art. 5(1)(e)): returns every row of the model
    that is raw behavioural detail (rows matching `detail_condition`) and whose timestamp
    (the tested column) is older than the retention cutoff (macro retention_cutoff: var
    behavioural_retention_months before var as_of_date, or before the latest web or email event).
    Aggregates (rows not matching detail_condition) may be older.
-#}
{% test behavioural_detail_within_retention(model, column_name, detail_condition) %}

select *
from {{ model }}
where
    ({{ detail_condition }})
    and {{ column_name }} < {{ retention_cutoff() }}

{% endtest %}
