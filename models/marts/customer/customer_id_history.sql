with

customer_keys as (
    select * from {{ ref('int_identity__customer_keys') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

final as (
    select
        cast(records.source_system as varchar) as source_system,
        cast(records.source_table as varchar) as source_table,
        cast(records.source_record_id as varchar) as source_record_id,
        cast(customer_keys.record_key as varchar) as record_key,
        cast(customer_keys.customer_id as varchar) as customer_id,
        cast(customer_keys.customer_first_issued_at as timestamp) as customer_first_issued_at,
        cast(customer_keys.valid_from as timestamp) as valid_from,
        cast(customer_keys.valid_to as timestamp) as valid_to,
        customer_keys.valid_to is null as is_current
    from customer_keys
    left join records
        on customer_keys.record_key = records.record_key
)

select * from final
