{#-
    identity_record_columns(values): the select list of one source's block in
    int_identity__records_unioned, in the one column order every block shares. `values` maps a
    column to its SQL expression; a column a source does not have is a typed NULL.
-#}
{% macro identity_record_columns(values) -%}
    {%- set columns = [
        ('source_system', 'varchar'), ('source_table', 'varchar'), ('source_record_id', 'varchar'),
        ('observed_at', 'timestamp'), ('first_name', 'varchar'), ('last_name', 'varchar'),
        ('full_name', 'varchar'), ('email', 'varchar'), ('phone', 'varchar'), ('street', 'varchar'),
        ('city', 'varchar'), ('postcode', 'varchar'), ('country', 'varchar'), ('date_of_birth', 'date'),
        ('shop_customer_id', 'varchar'), ('email_subscriber_id', 'varchar'), ('crm_surviving_contact_id', 'varchar'),
        ('web_account_count', 'integer'), ('is_deleted', 'boolean'),
    ] -%}
    {%- for name, data_type in columns %}
        {{ values.get(name, 'cast(null as ' ~ data_type ~ ')') }} as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
