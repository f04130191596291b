{#-
    A table, like the rest of staging (dbt_project.yml): it scans every landing table through the
    base_ views, and the reconciliation and quarantine tests read it many times, so it is computed
    once per build. It keeps no raw row of an erased subject (raw_row is nulled below).
-#}
{{ config(materialized='table') }}

with

quarantined as (
    {{ quarantine_union(staged_landing_tables()) }}
),

-- a quarantined row of an erased subject keeps its reason but loses its raw content (governance rule 5)
flagged as (
    select
        quarantined.*,
        (
            {{ is_erased_record({
                'email': json_text('raw_row', 'email'), 'phone': json_text('raw_row', 'phone'),
                'shop_customer': json_text('raw_row', 'customer_id'), 'crm_contact': json_text('raw_row', 'contact_id'),
                'loyalty_card': json_text('raw_row', 'card_id'), 'email_subscriber': json_text('raw_row', 'subscriber_id'),
            }) }}
            or {{ is_erased_record({
                'email': json_text('raw_row', 'requester_email'), 'phone': json_text('raw_row', 'requester_phone'),
                'shop_customer': json_text('raw_row', 'user_id'), 'loyalty_card': json_text('raw_row', 'loyalty_card_id'),
            }) }}
            or {{ is_erased_record({'phone': json_text('raw_row', 'billing_phone')}) }}
            or {{ is_erased_record(subject_identifiers(
                json_text('raw_row', 'subject_type'), json_text('raw_row', 'subject_value')
            )) }}
        ) as is_erased
    from quarantined
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'source_system', "'|'", 'source_table', "'|'", 'raw_row', "'|'",
            dbt.cast('copy_number', dbt.type_string())
        ])) }} as quarantine_row_id,
        source_system,
        source_table,
        source_record_id,
        reason,
        {{ null_if_erased('raw_row') }} as raw_row,
        copy_number,
        is_erased
    from flagged
)

select * from final
