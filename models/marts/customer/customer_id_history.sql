with

customer_keys as (
    select * from {{ ref('int_identity__customer_keys') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

final as (
    select
        records.source_system,
        records.source_table,
        records.source_record_id,
        customer_keys.record_key,
        customer_keys.customer_id,
        customer_keys.customer_first_issued_at,
        customer_keys.valid_from,
        customer_keys.valid_to,
        customer_keys.valid_to is null as is_current
    from customer_keys
    left join records
        on customer_keys.record_key = records.record_key
)

select * from final
