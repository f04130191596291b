{#-
    revenue_reconciles_with_staging(amount_column, currency_column=none, customer_column=none)

    Governance rule 15 ("money reconciles"): the revenue a mart holds equals the staged orders
    minus the staged refunds, restated here from staging on purpose (independently of
    int_orders__unified): shop orders whose payment was captured (paid, partially_refunded,
    refunded) and that were not cancelled, minus their refunds, plus every till sale.
    - currency_column given: compared per currency, to the cent.
    - currency_column none: the mart holds reporting-currency money; staging is converted with
      seeds/currency_rates.csv and may differ by at most half a cent per order (per-order rounding).
    - customer_column given: compared per customer (and currency) through customer_identity_map;
      sales that belong to nobody (anonymous till sales) are left out of this comparison (the
      per-currency total covers them).
    Returns one row per group that does not reconcile.
-#}
{% test revenue_reconciles_with_staging(model, amount_column, currency_column=none, customer_column=none) %}

{%- set by_currency = currency_column is not none -%}
{%- set by_customer = customer_column is not none -%}

with

shop_orders as (
    select * from {{ ref('stg_shop__orders') }}
),

shop_refunds as (
    select * from {{ ref('stg_shop__refunds') }}
),

pos_transactions as (
    select * from {{ ref('stg_pos__transactions') }}
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

currency_rates as (
    select * from {{ ref('currency_rates') }}
),

revenue_orders as (
    select
        order_id,
        currency,
        total_amount
    from shop_orders
    where
        cancelled_at is null
        and financial_status in ('paid', 'partially_refunded', 'refunded')
),

staged_sales as (
    select
        {{ dbt.concat(["'shop:orders:'", 'order_id']) }} as record_key,
        currency,
        total_amount as amount
    from revenue_orders

    union all

    select
        {{ dbt.concat(["'shop:orders:'", 'revenue_orders.order_id']) }} as record_key,
        revenue_orders.currency,
        -1 * shop_refunds.refund_amount as amount
    from shop_refunds
    inner join revenue_orders
        on shop_refunds.order_id = revenue_orders.order_id

    union all

    select
        case
            when loyalty_card_id is not null then {{ dbt.concat(["'loyalty:members:'", 'loyalty_card_id']) }}
        end as record_key,
        currency,
        total_amount as amount
    from pos_transactions
),

staged as (
    select
        {% if by_customer %}identity_map.customer_id as group_customer,{% endif %}
        {% if by_currency %}staged_sales.currency as group_currency,{% endif %}
        {% if by_currency %}
        sum(staged_sales.amount) as staged_amount,
        {% else %}
        sum(staged_sales.amount * currency_rates.rate_to_reporting) as staged_amount,
        {% endif %}
        count(*) as staged_rows
    from staged_sales
    left join identity_map
        on staged_sales.record_key = identity_map.record_key
    left join currency_rates
        on staged_sales.currency = currency_rates.currency
    {% if by_customer %}where identity_map.customer_id is not null{% endif %}
    {% if by_customer or by_currency %}
    group by
        {% if by_customer %}identity_map.customer_id{% if by_currency %},{% endif %}{% endif %}
        {% if by_currency %}staged_sales.currency{% endif %}
    {% endif %}
),

mart as (
    select
        {% if by_customer %}{{ customer_column }} as group_customer,{% endif %}
        {% if by_currency %}{{ currency_column }} as group_currency,{% endif %}
        sum({{ amount_column }}) as mart_amount
    from {{ model }}
    {% if by_customer %}where {{ customer_column }} is not null{% endif %}
    {% if by_customer or by_currency %}
    group by
        {% if by_customer %}{{ customer_column }}{% if by_currency %},{% endif %}{% endif %}
        {% if by_currency %}{{ currency_column }}{% endif %}
    {% endif %}
),

compared as (
    select
        {% if by_customer %}coalesce(staged.group_customer, mart.group_customer) as customer_id,{% endif %}
        {% if by_currency %}coalesce(staged.group_currency, mart.group_currency) as currency,{% endif %}
        coalesce(staged.staged_amount, 0) as staged_amount,
        coalesce(mart.mart_amount, 0) as mart_amount,
        coalesce(staged.staged_rows, 0) as staged_rows
    from staged
    full outer join mart
        on
            1 = 1
            {% if by_customer %}and staged.group_customer = mart.group_customer{% endif %}
            {% if by_currency %}and staged.group_currency = mart.group_currency{% endif %}
)

select *
from compared
where
    {% if by_currency %}
    abs(staged_amount - mart_amount) >= 0.005
    {% else %}
    abs(staged_amount - mart_amount) > 0.005 * (staged_rows + 1)
    {% endif %}

{% endtest %}
