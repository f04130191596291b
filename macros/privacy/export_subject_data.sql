{#-
    Access request (GDPR Art. 15): write everything the warehouse holds on one data subject.

        dbt run-operation export_subject_data --args '{subject_type: email, subject_value: ann@example.com}'

    `subject_type` is one of email, phone, shop_customer, crm_contact, loyalty_card (as in
    privacy/requests). The subject is resolved like a consent subject (canonical form, see
    erasure_key) to its customers through the identity pipeline; then one JSON file per relation
    is written as `out_dir/access_request_<subject type>_<hash>__<relation>.json` (out_dir must exist;
    default `target`):

    - every staged record of those customers (the staging model of each landing table, matched on
      its record key in customer_identity_map; web events by visitor, email events by subscriber,
      till sales by loyalty card, order lines and refunds by order),
    - the subject's consent events and privacy requests (by the subject itself),
    - every row of every other model of the graph that has a `customer_id` column.

    A file is written only for a relation with rows; a summary lists them.
-#}
{% macro export_subject_data(subject_type, subject_value, out_dir='target') -%}
    {{ return(adapter.dispatch('export_subject_data', 'single_customer_view')(subject_type, subject_value, out_dir)) }}
{%- endmacro %}

{% macro default__export_subject_data(subject_type, subject_value, out_dir) -%}
    {{ exceptions.raise_compiler_error('export_subject_data writes files with DuckDB COPY; implement it for ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__export_subject_data(subject_type, subject_value, out_dir) -%}
    {%- if subject_type not in ['email', 'phone', 'shop_customer', 'crm_contact', 'loyalty_card'] -%}
        {{ exceptions.raise_compiler_error('subject_type must be email, phone, shop_customer, crm_contact or loyalty_card') }}
    {%- endif -%}
    {%- set value = "'" ~ (subject_value | string | replace("'", "''")) ~ "'" -%}
    {%- set key = canonical_subject_key("'" ~ subject_type ~ "'", value) -%}
    {%- set contact_points = model_relation('int_consent__contact_point_customers') -%}
    {%- set identity_map = model_relation('customer_identity_map') -%}
    {%- if contact_points is none or identity_map is none -%}
        {{ exceptions.raise_compiler_error('Build the warehouse first (dbt build): int_consent__contact_point_customers is missing') }}
    {%- endif -%}
    {%- set customers_sql -%}
        select distinct customer_id from {{ contact_points }}
        where contact_point_type = '{{ subject_type }}' and contact_point_key = {{ key }}
    {%- endset -%}
    {%- set request_name = subject_type ~ '_' ~ (local_md5(subject_type ~ '|' ~ subject_value) [:12]) -%}
    {%- set prefix = out_dir ~ '/access_request_' ~ request_name -%}
    {%- set exports = [] -%}
    {#- staged records of the subject's customers -#}
    {#- event tables are keyed by the identity record they belong to, not by their own id -#}
    {%- set record_key_expressions = {
        'web/events': "'web:events:' || anonymous_id",
        'email/events': "'email:subscribers:' || subscriber_id",
        'pos/transactions': "'loyalty:members:' || loyalty_card_id",
        'shop/refunds': "'shop:orders:' || order_id",
        'shop/order_lines': "'shop:orders:' || order_id",
    } -%}
    {%- for entry in staged_landing_tables() -%}
        {%- set relation = model_relation('stg_' ~ entry.source ~ '__' ~ entry.table) -%}
        {%- set record_key = record_key_expressions.get(entry.source ~ '/' ~ entry.table,
                "'" ~ entry.source ~ ':' ~ entry.table ~ ":' || " ~ entry.id_column) -%}
        {%- if relation is not none and entry.source not in ['consent', 'privacy'] -%}
            {%- do exports.append((relation.identifier, 'select * from ' ~ relation ~ ' where ' ~ record_key
                ~ ' in (select record_key from ' ~ identity_map ~ ' where customer_id in (' ~ customers_sql ~ '))')) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- the subject's own consent events and privacy requests -#}
    {%- for model_name in ['stg_consent__events', 'stg_privacy__requests'] -%}
        {%- set relation = model_relation(model_name) -%}
        {%- if relation is not none -%}
            {%- do exports.append((model_name, 'select * from ' ~ relation ~ " where subject_type = '" ~ subject_type
                ~ "' and " ~ canonical_subject_key('subject_type', 'subject_value') ~ ' = ' ~ key)) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- every other model keyed by customer -#}
    {%- for node in project_nodes('model') if 'customer_id' in node.columns and not node.name.startswith('stg_') -%}
        {%- set relation = model_relation(node.name) -%}
        {%- if relation is not none -%}
            {%- do exports.append((node.name, 'select * from ' ~ relation ~ ' where customer_id in (' ~ customers_sql ~ ')')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set written = [] -%}
    {%- for name, sql in exports -%}
        {%- set count = run_query('select count(*) from (' ~ sql ~ ')').columns[0].values()[0] -%}
        {%- if count > 0 -%}
            {%- do run_query("copy (" ~ sql ~ ") to '" ~ prefix ~ "__" ~ name ~ ".json' (format json)") -%}
            {%- do written.append(name ~ ': ' ~ count) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log('access request export: ' ~ written | length ~ ' relations written as ' ~ prefix ~ '__<relation>.json' ~ (' (' ~ written | join(', ') ~ ')' if written else ' (nothing held on this subject)'), info=true) }}
{%- endmacro %}
