{#-
    Storage limitation (governance rule 6): raw behavioural detail (web and email events) older
    than var behavioural_retention_months (default 25) before the reference date is not exposed by
    marts; aggregates remain. The reference date is var as_of_date when set, else the latest web or
    email event (web events read from int_web__events_sessionized, a table, rather than the staging
    view), so a rebuild of the same landing files gives the same cutoff.
-#}
{% macro retention_reference_at() -%}
    {%- if var('as_of_date', none) is not none -%}
        cast('{{ var("as_of_date") }}' as timestamp)
    {%- else -%}
        (
            select max(behavioural_events.occurred_at)
            from (
                select occurred_at from {{ ref('int_web__events_sessionized') }}
                union all
                select occurred_at from {{ ref('stg_email__events') }}
            ) as behavioural_events
        )
    {%- endif -%}
{%- endmacro %}


{#- The first timestamp whose raw behavioural detail marts may still expose. -#}
{% macro retention_cutoff() -%}
    {{ dbt.dateadd('month', -1 * var('behavioural_retention_months', 25), retention_reference_at()) }}
{%- endmacro %}
