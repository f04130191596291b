-- The published CLV model fits: one row per model x parameter x fit window, with the fit's
-- log-likelihood, sample, as-of date, time unit, the holdout figures of a backtest and which
-- transaction model was chosen for customer_clv. See the `clv` doc block.
with

model_fit as (
    select * from {{ ref('int_clv__model_fit') }}
),

final as (
    select
        cast(model_name as varchar) as model_name,
        cast(fit_window as varchar) as fit_window,
        cast(parameter as varchar) as parameter,
        cast(value as double) as parameter_value,
        cast(log_likelihood as double) as log_likelihood,
        cast(n_customers as integer) as n_customers,
        cast(fit_seconds as double) as fit_seconds,
        cast(observation_start as date) as observation_start,
        cast(observation_end as date) as observation_end,
        cast(as_of_date as date) as as_of_date,
        cast(calibration_end as date) as calibration_end,
        cast(time_unit as varchar) as time_unit,
        cast(horizon_months as integer) as horizon_months,
        cast(margin as double) as margin,
        cast(monthly_discount_rate as double) as monthly_discount_rate,
        cast(is_chosen as boolean) as is_chosen,
        cast(chosen_by as varchar) as chosen_by,
        cast(holdout_periods as double) as holdout_periods,
        cast(holdout_actual_purchases as double) as holdout_actual_purchases,
        cast(holdout_predicted_purchases as double) as holdout_predicted_purchases,
        cast(holdout_rmse as double) as holdout_rmse,
        cast(holdout_correlation as double) as holdout_correlation,
        cast(cumulative_actual_repeat_purchases as double) as cumulative_actual_repeat_purchases,
        cast(cumulative_predicted_repeat_purchases as double) as cumulative_predicted_repeat_purchases
    from model_fit
)

select * from final
