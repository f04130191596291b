{#-
    Helpers of source_quality.

    landing_identity_fields(): the identity fields each identity-bearing landing table carries
    (from the landing contract). A table listed with no fields (web/events) contributes identity
    records (one per visitor) but no field to measure.
-#}
{% macro landing_identity_fields() -%}
    {{- return({
        'crm/contacts': ['name', 'email', 'phone', 'birth_date', 'postcode', 'country'],
        'shop/customers': ['name', 'email', 'phone', 'postcode', 'country'],
        'shop/orders': ['name', 'email', 'phone', 'postcode', 'country'],
        'loyalty/members': ['name', 'email', 'phone', 'birth_date', 'postcode'],
        'email/subscribers': ['name', 'email'],
        'support/tickets': ['name', 'email', 'phone'],
        'ads/leads': ['name', 'email', 'phone'],
        'web/events': [],
    }) -}}
{%- endmacro %}


{#-
    landing_table_profiles(): one row per staged landing table (staged_landing_tables()) with its
    landing file and, per identity field, whether the table carries it (carries_<field>).
-#}
{% macro landing_table_profiles() -%}
    {%- set identity_fields = landing_identity_fields() -%}
    {%- for entry in staged_landing_tables() %}
    {%- set carried = identity_fields.get(entry.source ~ '/' ~ entry.table) %}
    select
        '{{ entry.source }}' as source_system,
        '{{ entry.table }}' as source_table,
        '{{ landing_file(entry.source, entry.table) }}' as landing_file,
        {%- for field in ['name', 'email', 'phone', 'birth_date', 'postcode', 'country'] %}
        {{ 'true' if carried is not none and field in carried else 'false' }} as carries_{{ field }},
        {%- endfor %}
        {{ 'true' if carried is not none else 'false' }} as is_identity_source
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{#-
    value_checked_tables(): the landing tables whose staging checks field values and nulls the
    invalid ones (their base model fills invalid_fields with flag_list). The other tables' staging
    checks only keys, timestamps and amounts (rows failing those are quarantined), so they have no
    invalid values to count. Add a table here when its base model starts flagging values.
-#}
{% macro value_checked_tables() -%}
    {{- return([
        'crm/contacts', 'shop/customers', 'shop/orders', 'pos/transactions', 'loyalty/members',
        'email/subscribers', 'support/tickets', 'consent/events', 'privacy/requests',
    ]) -}}
{%- endmacro %}


{#-
    landing_row_counts(): one row per staged landing table with its landing rows (read as the base
    model reads them, so DuckDB answers from the Parquet metadata) and, for the value-checked
    tables, the staged rows with a value nulled as invalid and the birth dates rejected (NULL for
    the other tables). Staged rows are landing rows minus quarantined rows (governance rule 13,
    tested per table), so the staging models are only read where values are checked.
-#}
{% macro landing_row_counts() -%}
    {%- for entry in staged_landing_tables() %}
    select
        '{{ entry.source }}' as source_system,
        '{{ entry.table }}' as source_table,
        landing.landing_rows,
        checks.invalid_value_rows,
        checks.rejected_birth_dates
    from (
        select count(*) as landing_rows
        from ({{ landing_select(entry.source, entry.table) }}) as landing_file_rows
    ) as landing
    cross join (
        {%- if (entry.source ~ '/' ~ entry.table) in value_checked_tables() %}
        select
            count(invalid_fields) as invalid_value_rows,
            sum(case when invalid_fields like '%date_of_birth%' then 1 else 0 end) as rejected_birth_dates
        from {{ ref('stg_' ~ entry.source ~ '__' ~ entry.table) }}
        {%- else %}
        select
            cast(null as bigint) as invalid_value_rows,
            cast(null as bigint) as rejected_birth_dates
        {%- endif %}
    ) as checks
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
