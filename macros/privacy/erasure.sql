{#-
    Erasure (governance rule 5) and the suppression hashes. See the `erasure_semantics` doc block.

    An identifier is compared in one canonical form per type (erasure_key) and stored only as a
    salted SHA-256 hash (suppression_hash): stg_privacy__erased_identifiers keeps the hashes of every
    erased subject's identifiers, and each staging model of a PII-bearing table computes the hashes
    of its own row's identifiers, sets `is_erased` when one of them is listed (is_erased_record), and
    nulls its PII columns with null_if_erased. Because the comparison happens in staging on every build,
    a record of an erased subject that is delivered again later is erased again (no resurrection).
-#}

{#- The salt of every identifier hash: the env var SCV_SUPPRESSION_SALT; the default is for development only. -#}
{% macro suppression_salt() -%}
    {{- return(env_var('SCV_SUPPRESSION_SALT', 'scv-development-salt-do-not-use-in-production')) -}}
{%- endmacro %}


{#- The canonical form of an identifier of `identifier_type` before hashing. -#}
{% macro erasure_key(identifier_type, expression) -%}
    {%- if identifier_type == 'email' -%}
        lower(trim(cast({{ expression }} as {{ dbt.type_string() }})))
    {%- elif identifier_type == 'phone' -%}
        {{ phone_match_digits(expression) }}
    {%- else -%}
        nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '')
    {%- endif -%}
{%- endmacro %}


{#-
    A phone's last nine digits (the subscriber number without country or trunk prefix, so
    +44 7400 154168, 07400 154168 and 447400154168 agree); NULL below seven digits.
-#}
{% macro phone_match_digits(expression) -%}
    {{ return(adapter.dispatch('phone_match_digits', 'single_customer_view')(expression)) }}
{%- endmacro %}

{% macro default__phone_match_digits(expression) -%}
    case
        when length(regexp_replace(cast({{ expression }} as {{ dbt.type_string() }}), '[^0-9]', '')) >= 7
            then right(regexp_replace(cast({{ expression }} as {{ dbt.type_string() }}), '[^0-9]', ''), 9)
    end
{%- endmacro %}

{% macro duckdb__phone_match_digits(expression) -%}
    case
        when length(regexp_replace(cast({{ expression }} as varchar), '[^0-9]', '', 'g')) >= 7
            then right(regexp_replace(cast({{ expression }} as varchar), '[^0-9]', '', 'g'), 9)
    end
{%- endmacro %}


{#- Salted SHA-256 (hex) of `identifier_type|canonical value`; NULL when the value is NULL. -#}
{% macro suppression_hash(identifier_type, expression) -%}
    {{ return(adapter.dispatch('suppression_hash', 'single_customer_view')(identifier_type, expression)) }}
{%- endmacro %}

{% macro default__suppression_hash(identifier_type, expression) -%}
    sha2({{ dbt.concat(["'" ~ suppression_salt() ~ "|" ~ identifier_type ~ "|'", erasure_key(identifier_type, expression)]) }}, 256)
{%- endmacro %}

{% macro duckdb__suppression_hash(identifier_type, expression) -%}
    sha256('{{ suppression_salt() }}|{{ identifier_type }}|' || {{ erasure_key(identifier_type, expression) }})
{%- endmacro %}


{#-
    True when any of the row's identifiers belongs to an erased subject. `identifiers` maps an
    identifier type (email, phone, shop_customer, crm_contact, loyalty_card, email_subscriber)
    to the row's column or expression holding it.
-#}
{% macro is_erased_record(identifiers) -%}
    coalesce(
        {%- for identifier_type, expression in identifiers.items() %}
        {{ suppression_hash(identifier_type, expression) }} in (
            select erased.identifier_hash from {{ ref('stg_privacy__erased_identifiers') }} as erased
        ){{ " or" if not loop.last }}
        {%- endfor %},
        false
    )
{%- endmacro %}


{#- `column`, or NULL when the row belongs to an erased subject (the row's `is_erased`). -#}
{% macro null_if_erased(column, flag='is_erased') -%}
    case when not {{ flag }} then {{ column }} end
{%- endmacro %}


{#- The subject of a consent event or privacy request as an identifiers map for is_erased_record. -#}
{% macro subject_identifiers(type_column='subject_type', value_column='subject_value') -%}
    {%- set identifiers = {} -%}
    {%- for subject_type in ['email', 'phone', 'shop_customer', 'crm_contact', 'loyalty_card'] -%}
        {%- do identifiers.update({subject_type: "case when " ~ type_column ~ " = '" ~ subject_type ~ "' then " ~ value_column ~ " end"}) -%}
    {%- endfor -%}
    {{- return(identifiers) -}}
{%- endmacro %}


{#- A consent / privacy subject in its canonical form (see erasure_key), by its subject_type column. -#}
{% macro canonical_subject_key(type_column='subject_type', value_column='subject_value') -%}
    case {{ type_column }}
        when 'email' then {{ erasure_key('email', value_column) }}
        when 'phone' then {{ erasure_key('phone', value_column) }}
        else {{ erasure_key('id', value_column) }}
    end
{%- endmacro %}


{#- suppression_hash for an identifier whose type is held in a column (one branch per known type). -#}
{% macro suppression_hash_by_type(type_column, value_column) -%}
    case {{ type_column }}
        {%- for identifier_type in ['email', 'phone', 'shop_customer', 'crm_contact', 'loyalty_card', 'email_subscriber'] %}
        when '{{ identifier_type }}' then {{ suppression_hash(identifier_type, value_column) }}
        {%- endfor %}
    end
{%- endmacro %}


{#- Tie-break rank of a consent action at the same occurred_at and recorded_at: restrictive actions sort last, so they win. -#}
{% macro consent_action_rank(action_column) -%}
    case {{ action_column }} when 'granted' then 0 when 'withdrawn' then 1 when 'objected' then 2 else 3 end
{%- endmacro %}


{#- The text value of a top-level key of a JSON text column (NULL when absent). -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'single_customer_view')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_value({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro duckdb__json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}
