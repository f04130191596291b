{#-
    staged_landing_tables()

    Every landing table that has a staging model, with the base model that stages it and the
    (renamed) id column there. The quarantine union and the coverage test
    (tests/assert_every_landing_table_is_staged.sql) both read this list: a new landing
    table is added here once.
-#}
{% macro staged_landing_tables() -%}
    {{- return([
        {'source': 'crm', 'table': 'contacts', 'id_column': 'contact_id'},
        {'source': 'shop', 'table': 'customers', 'id_column': 'shop_customer_id'},
        {'source': 'shop', 'table': 'orders', 'id_column': 'order_id'},
        {'source': 'shop', 'table': 'order_lines', 'id_column': 'order_line_id'},
        {'source': 'shop', 'table': 'refunds', 'id_column': 'refund_id'},
        {'source': 'pos', 'table': 'transactions', 'id_column': 'transaction_id'},
        {'source': 'loyalty', 'table': 'members', 'id_column': 'card_id'},
        {'source': 'web', 'table': 'events', 'id_column': 'event_id'},
        {'source': 'email', 'table': 'subscribers', 'id_column': 'subscriber_id'},
        {'source': 'email', 'table': 'events', 'id_column': 'event_id'},
        {'source': 'support', 'table': 'tickets', 'id_column': 'ticket_id'},
        {'source': 'ads', 'table': 'leads', 'id_column': 'lead_id'},
        {'source': 'consent', 'table': 'events', 'id_column': 'consent_event_id'},
        {'source': 'privacy', 'table': 'requests', 'id_column': 'request_id'},
    ]) -}}
{%- endmacro %}


{#-
    quarantine_union(tables)

    One `union all` branch per entry of `tables` (see staged_landing_tables): the rows of
    `base_<source>__<table>` that carry a `_quarantine_reason`, in the quarantine's shape.
    `quarantine_row_id` hashes source, table, raw row and copy number, so the exact
    duplicates of one row still get distinct ids.
-#}
{% macro quarantine_union(tables) -%}
    {%- for entry in tables %}
    select
        '{{ entry.source }}' as source_system,
        '{{ entry.table }}' as source_table,
        {{ entry.id_column }} as source_record_id,
        _quarantine_reason as reason,
        _raw_row as raw_row,
        _copy_number as copy_number
    from {{ ref('base_' ~ entry.source ~ '__' ~ entry.table) }}
    where _quarantine_reason is not null
    {%- if not loop.last %}

    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}
