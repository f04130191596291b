-- clv_model_fit: in every fit window exactly one transaction model (bg_nbd or pareto_nbd) is
-- chosen, and it is the model customer_clv's predictions name.
with

fit as (
    select * from {{ ref('clv_model_fit') }}
),

clv as (
    select * from {{ ref('customer_clv') }}
),

chosen_per_window as (
    select
        fit_window,
        count(distinct model_name) as chosen_models,
        min(model_name) as chosen_model
    from fit
    where is_chosen and model_name in ('bg_nbd', 'pareto_nbd')
    group by fit_window
),

windows as (
    select distinct fit_window from fit
),

problems as (
    select
        windows.fit_window,
        'not exactly one chosen transaction model' as problem
    from windows
    left join chosen_per_window
        on windows.fit_window = chosen_per_window.fit_window
    where coalesce(chosen_per_window.chosen_models, 0) != 1
    union all
    select
        'any' as fit_window,
        'customer_clv uses a model that is not the chosen one' as problem
    from clv
    where
        clv.clv_model is not null
        and clv.clv_model not in (select chosen_per_window.chosen_model from chosen_per_window)
)

select * from problems
