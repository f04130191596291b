{#-
    Value cleaning used by every staging model. Each macro takes a column expression and
    returns an expression; all of them first cast to text, so a landing file that ships a
    column with an unexpected physical type (an integer id, a timestamp as text, a boolean
    as 'yes') is handled the same way as the contract's types.

    Documented outcomes (see the `staging_outcomes` doc block):
    - text: trimmed; empty or whitespace-only strings become NULL;
    - timestamps: ISO text, TIMESTAMP or a few common day-first formats; text with an explicit
      UTC offset is converted to UTC; unparseable -> NULL;
    - dates (birth dates): ISO, yyyymmdd, dd.mm.yyyy, dd/mm/yyyy (or mm/dd/yyyy for US records),
      "March 21, 1985" / "21 Mar 1985"; unparseable or implausible -> NULL;
    - booleans: true/false, t/f, yes/no, y/n, 1/0; anything else -> NULL;
    - money: decimal(18, 2); unparseable -> NULL.
-#}

{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}


{% macro clean_lower(column) -%}
    lower({{ clean_text(column) }})
{%- endmacro %}


{% macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'single_customer_view')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamp(column) -%}
    cast({{ clean_text(column) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__parse_timestamp(column) -%}
    coalesce(
        {#- text with an explicit UTC offset ('...+02:00', '...Z') is converted to UTC -#}
        case
            when regexp_matches({{ clean_text(column) }}, '\d:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$')
                then timezone('UTC', try_cast({{ clean_text(column) }} as timestamptz))
        end,
        try_cast({{ clean_text(column) }} as timestamp),
        try_strptime(
            {{ clean_text(column) }},
            ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M', '%Y%m%dT%H%M%S']
        )
    )
{%- endmacro %}


{#-
    The build's reference time: when the dbt invocation started (run_started_at, UTC), as a SQL
    timestamp literal. Every model of one build judges time against this one instant: staging's
    "the future" (with the database's clock, a row stamped close to now + 1 day was quarantined by
    the staging model and staged by the quarantine model built a minute later, and so was in
    neither; rule 13 caught it on the 1M world), consent validity (consent_as_of), and the
    updated_at / loaded_at stamps of the marts.
-#}
{% macro build_reference_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#- A timestamp inside the plausible window [min_plausible_timestamp, build start + 1 day], else NULL. -#}
{% macro plausible_timestamp(column) -%}
    case
        when {{ parse_timestamp(column) }} >= cast('{{ var("min_plausible_timestamp") }}' as {{ dbt.type_timestamp() }})
            and {{ parse_timestamp(column) }} <= {{ dbt.dateadd('day', 1, build_reference_timestamp()) }}
            then {{ parse_timestamp(column) }}
    end
{%- endmacro %}


{#- True when a value was present but did not survive parsing / validation. -#}
{% macro is_rejected(raw_column, parsed_expression) -%}
    ({{ clean_text(raw_column) }} is not null and ({{ parsed_expression }}) is null)
{%- endmacro %}


{#- Birth dates and other free-text dates. `country_expression`: 'US' records read a/b/yyyy month-first. -#}
{% macro parse_date(column, country_expression="null") -%}
    {{ return(adapter.dispatch('parse_date', 'single_customer_view')(column, country_expression)) }}
{%- endmacro %}

{% macro default__parse_date(column, country_expression) -%}
    cast({{ clean_text(column) }} as date)
{%- endmacro %}

{% macro duckdb__parse_date(column, country_expression) -%}
    {%- set parsed -%}
        cast(coalesce(
            try_cast({{ clean_text(column) }} as date),
            try_strptime({{ clean_text(column) }}, ['%Y%m%d', '%d.%m.%Y', '%Y/%m/%d', '%B %d, %Y', '%d %b %Y', '%d %B %Y']),
            case
                when {{ country_expression }} = 'US'
                    then try_strptime({{ clean_text(column) }}, ['%m/%d/%Y', '%m-%d-%Y'])
                else try_strptime({{ clean_text(column) }}, ['%d/%m/%Y', '%d-%m-%Y'])
            end
        ) as date)
    {%- endset -%}
    case
        when {{ parsed }} between cast('{{ var("min_plausible_birth_date") }}' as date)
            and cast({{ build_reference_timestamp() }} as date)
            then {{ parsed }}
    end
{%- endmacro %}


{% macro parse_boolean(column) -%}
    case
        when {{ clean_lower(column) }} in ('true', 't', 'yes', 'y', '1') then true
        when {{ clean_lower(column) }} in ('false', 'f', 'no', 'n', '0') then false
    end
{%- endmacro %}


{% macro parse_money(column) -%}
    {{ return(adapter.dispatch('parse_money', 'single_customer_view')(column)) }}
{%- endmacro %}

{% macro default__parse_money(column) -%}
    cast({{ clean_text(column) }} as decimal(18, 2))
{%- endmacro %}

{% macro duckdb__parse_money(column) -%}
    try_cast(try_cast({{ clean_text(column) }} as double) as decimal(18, 2))
{%- endmacro %}


{% macro parse_integer(column) -%}
    {{ return(adapter.dispatch('parse_integer', 'single_customer_view')(column)) }}
{%- endmacro %}

{% macro default__parse_integer(column) -%}
    cast({{ clean_text(column) }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro duckdb__parse_integer(column) -%}
    try_cast(try_cast({{ clean_text(column) }} as double) as bigint)
{%- endmacro %}


{#- An email trimmed and lowercased (further normalization is an identity concern). -#}
{% macro clean_email(column) -%}
    lower({{ clean_text(column) }})
{%- endmacro %}


{% macro is_valid_email(expression) -%}
    {{ return(adapter.dispatch('is_valid_email', 'single_customer_view')(expression)) }}
{%- endmacro %}

{% macro default__is_valid_email(expression) -%}
    ({{ expression }} like '%_@_%._%')
{%- endmacro %}

{% macro duckdb__is_valid_email(expression) -%}
    regexp_full_match({{ expression }}, '[a-z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}')
{%- endmacro %}


{#- Postcodes: trimmed, upper case, inner whitespace collapsed to one space. -#}
{% macro clean_postcode(column) -%}
    {{ return(adapter.dispatch('clean_postcode', 'single_customer_view')(column)) }}
{%- endmacro %}

{% macro default__clean_postcode(column) -%}
    upper({{ clean_text(column) }})
{%- endmacro %}

{% macro duckdb__clean_postcode(column) -%}
    nullif(upper(regexp_replace({{ clean_text(column) }}, '\s+', ' ', 'g')), '')
{%- endmacro %}


{#- The whole landing row as JSON text: what the quarantine keeps of a rejected row. -#}
{% macro row_to_json(relation_alias) -%}
    {{ return(adapter.dispatch('row_to_json', 'single_customer_view')(relation_alias)) }}
{%- endmacro %}

{% macro duckdb__row_to_json(relation_alias) -%}
    cast(to_json({{ relation_alias }}) as varchar)
{%- endmacro %}

{% macro postgres__row_to_json(relation_alias) -%}
    cast(row_to_json({{ relation_alias }}) as text)
{%- endmacro %}


{#- Comma-separated labels of the conditions that hold (NULL-free): `labels` is a dict label -> condition. -#}
{% macro flag_list(labels) -%}
    nullif(concat_ws(
        ',',
        {%- for label, condition in labels.items() %}
        case when {{ condition }} then '{{ label }}' end{{ "," if not loop.last }}
        {%- endfor %}
    ), '')
{%- endmacro %}
