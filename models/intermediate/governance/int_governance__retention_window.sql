{#-
    The retention window of governance rule 6, computed once per build (one row): raw behavioural
    detail (web and email events) before cutoff_at is not exposed by marts. The reference date is
    var as_of_date when given, else the latest web or email event (macro retention_cutoff). The
    marts read it here; the rule-6 test recomputes it from staging on its own.
-#}
with

final as (
    select
        cast({{ var('behavioural_retention_months', 25) }} as integer) as retention_months,
        cast({{ retention_reference_at() }} as timestamp) as reference_at,
        cast({{ retention_cutoff() }} as timestamp) as cutoff_at
)

select * from final
