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
    staged_row_counts(): one row per staged landing table with its staged rows, the rows with a
    value nulled as invalid (invalid_fields), and the birth dates rejected.
-#}
{% macro staged_row_counts() -%}
    {%- for entry in staged_landing_tables() %}
    select
        '{{ entry.source }}' as source_system,
        '{{ entry.table }}' as source_table,
        count(*) as staged_rows,
        count(invalid_fields) as invalid_value_rows,
        sum(case when invalid_fields like '%date_of_birth%' then 1 else 0 end) as rejected_birth_dates
    from {{ ref('stg_' ~ entry.source ~ '__' ~ entry.table) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
