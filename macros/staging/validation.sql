{#-
    Validation helpers shared by the base models, next to the parsers in cleaning.sql. Each
    takes a column (or expression) and returns an expression. Outcomes are documented in the
    `staging_outcomes` doc block.
-#}

{#- An enumeration value: trimmed, lowercased, runs of spaces and hyphens -> one underscore
    ('Partially Refunded', 'partially-refunded' -> 'partially_refunded'). -#}
{% macro clean_enum(column) -%}
    {{ return(adapter.dispatch('clean_enum', 'single_customer_view')(column)) }}
{%- endmacro %}

{% macro default__clean_enum(column) -%}
    replace(replace({{ clean_lower(column) }}, ' ', '_'), '-', '_')
{%- endmacro %}

{% macro duckdb__clean_enum(column) -%}
    regexp_replace({{ clean_lower(column) }}, '[\s-]+', '_', 'g')
{%- endmacro %}


{#- True when `expression` is three upper-case letters (an ISO-4217 shape). -#}
{% macro is_currency_code(expression) -%}
    {{ return(adapter.dispatch('is_currency_code', 'single_customer_view')(expression)) }}
{%- endmacro %}

{% macro default__is_currency_code(expression) -%}
    ({{ expression }} similar to '[A-Z]{3}')
{%- endmacro %}

{% macro duckdb__is_currency_code(expression) -%}
    regexp_full_match({{ expression }}, '[A-Z]{3}')
{%- endmacro %}


{#- A currency code trimmed and upper-cased; NULL unless it has three letters. -#}
{% macro clean_currency(column) -%}
    case
        when {{ is_currency_code('upper(' ~ clean_text(column) ~ ')') }}
            then upper({{ clean_text(column) }})
    end
{%- endmacro %}


{#- A money amount as decimal(18, 2) inside [0, max_plausible_amount], else NULL. -#}
{% macro plausible_money(column) -%}
    case
        when {{ parse_money(column) }} between 0 and {{ var('max_plausible_amount') }}
            then {{ parse_money(column) }}
    end
{%- endmacro %}


{#- An integer inside [min_value, max_value] (either bound may be none), else NULL. -#}
{% macro bounded_integer(column, min_value=none, max_value=none) -%}
    {%- set conditions = [] -%}
    {%- if min_value is not none -%}{%- do conditions.append(parse_integer(column) ~ ' >= ' ~ min_value) -%}{%- endif -%}
    {%- if max_value is not none -%}{%- do conditions.append(parse_integer(column) ~ ' <= ' ~ max_value) -%}{%- endif -%}
    {%- if conditions -%}
    case
        when {{ conditions | join(' and ') }}
            then {{ parse_integer(column) }}
    end
    {%- else -%}
    {{ parse_integer(column) }}
    {%- endif -%}
{%- endmacro %}


{#- A consent / privacy subject value: an email subject is cleaned like every email
    (trimmed, lowercased), any other subject is trimmed. -#}
{% macro clean_subject_value(value_column, type_column) -%}
    case
        when {{ clean_enum(type_column) }} = 'email' then {{ clean_email(value_column) }}
        else {{ clean_text(value_column) }}
    end
{%- endmacro %}


{#-
    The governing enumerations of the landing contract. A row whose value is not in its list
    is quarantined as `invalid_value:<column>`; the stg models test the same lists with
    `accepted_values`. Other enumerations (web/email event types, ticket status, ...) are only
    cleaned with clean_enum: an unknown value there is kept, not rejected.
-#}
{% macro landing_enumeration(name) -%}
    {%- set enumerations = {
        'subject_type': ['email', 'phone', 'shop_customer', 'crm_contact', 'loyalty_card'],
        'consent_purpose': ['marketing_email', 'marketing_sms', 'marketing_phone', 'personalisation',
                            'profiling', 'analytics', 'third_party_sharing'],
        'consent_action': ['granted', 'withdrawn', 'objected'],
        'lawful_basis': ['consent', 'soft_opt_in', 'legitimate_interest', 'contract'],
        'privacy_request_type': ['erasure', 'access', 'objection', 'rectification'],
        'privacy_request_status': ['received', 'verified', 'completed', 'rejected'],
        'financial_status': ['paid', 'refunded', 'partially_refunded', 'pending', 'voided'],
    } -%}
    {%- if name not in enumerations -%}
        {{ exceptions.raise_compiler_error("Unknown landing enumeration " ~ name ~ "; known: " ~ enumerations.keys() | list | join(", ")) }}
    {%- endif -%}
    {{- return(enumerations[name]) -}}
{%- endmacro %}


{#- True when `expression` is NULL or not one of the enumeration's values. -#}
{% macro is_unknown_value(expression, enumeration) -%}
    ({{ expression }} is null or {{ expression }} not in (
        {%- for value in landing_enumeration(enumeration) -%}
        '{{ value }}'{{ ", " if not loop.last }}
        {%- endfor -%}
    ))
{%- endmacro %}
