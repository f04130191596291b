{#-
    Consent per sendable address (an email address or a phone number, canonical form) and
    purpose: the current state of the address itself and of every account that carries it (a
    consent given on a shop account covers the account's email and phone). Most restrictive wins:
    one current withdrawal or objection among them blocks the address; otherwise one valid grant
    (or soft opt-in) permits it. See the `consent_semantics` doc block.
-#}
with

consent_current as (
    select * from {{ ref('consent_current') }}
),

-- every current consent row, on the address(es) it covers
covered as (
    {{ consent_rows_by_address('consent_current') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by address_type, address_key, purpose
            order by is_valid desc, valid_from desc, consent_event_id desc
        ) as permission_rank
    from covered
),

final as (
    select
        cast(address_type as varchar) as address_type,
        cast(address_key as varchar) as address_key,
        cast(purpose as varchar) as purpose,
        cast({{ dbt.bool_or('is_valid') }} as boolean) as has_valid_permission,
        cast({{ dbt.bool_or("consent_state in ('withdrawn', 'objected')") }} as boolean) as is_blocked,
        cast(max(case when permission_rank = 1 and is_valid then consent_event_id end) as varchar)
            as permission_event_id,
        cast(max(case when permission_rank = 1 and is_valid then lawful_basis end) as varchar)
            as permission_lawful_basis,
        cast(max(case when permission_rank = 1 and is_valid then valid_from end) as timestamp) as permission_valid_from,
        cast(max(case when permission_rank = 1 and is_valid then expires_at end) as timestamp) as permission_expires_at
    from ranked
    group by address_type, address_key, purpose
)

select * from final
