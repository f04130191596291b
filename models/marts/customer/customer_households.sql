{#-
    One row per customer: the household it belongs to (customers sharing a specific address and
    surname, or an email address, see int_customer__household_links), how many customers the
    household holds and what links the customer into it. Households group customers; they never merge them. See the
    `households` doc block.
-#}
with

households as (
    select * from {{ ref('int_customer__households') }}
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(household_id as varchar) as household_id,
        cast(household_size as integer) as household_size,
        cast(household_linked_by as varchar) as household_linked_by
    from households
)

select * from final
