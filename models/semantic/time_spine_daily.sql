-- One row per calendar day: the time spine MetricFlow joins metrics to (dbt semantic layer), so a
-- metric over time has a row for every day, also the days without data.
with

days as (
    {{ dbt.date_spine(
        datepart="day",
        start_date="cast('" ~ var('semantic_time_spine_start') ~ "' as date)",
        end_date="cast('" ~ var('semantic_time_spine_end') ~ "' as date)"
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
