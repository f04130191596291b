{#-
    consent_as_of(): the instant consent validity is judged at, the start of the dbt invocation
    (run_started_at, UTC). consent_current.is_valid and the audience tests (rules 1 and 3) read it,
    so within one `dbt build` the marts and their tests judge expiry at the same instant: a consent
    that expires while the build runs cannot fail the test of the audience it was valid for (this
    failed a 1M-person build, whose run took long enough for a consent to expire between the two).
    A later `dbt test` judges at its own start, so it does flag a member whose consent expired since
    the build: that audience is stale.
-#}
{% macro consent_as_of() -%}
    {{ build_reference_timestamp() }}
{%- endmacro %}
