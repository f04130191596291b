"""BG/NBD, Pareto/NBD and Gamma-Gamma fits (one row per model x parameter x fit window): a thin adapter over scv.clv."""

from scv.clv import config_from_dbt, fit_models


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt passes a Python model only the config keys it reads literally: one get per key
    config = config_from_dbt({
        "as_of_date": dbt.config.get("as_of_date"),
        "calibration_end": dbt.config.get("calibration_end"),
        "time_unit": dbt.config.get("time_unit"),
        "horizon_months": dbt.config.get("horizon_months"),
        "margin": dbt.config.get("margin"),
        "monthly_discount_rate": dbt.config.get("monthly_discount_rate"),
    })
    transactions = dbt.ref("int_clv__transactions").df()
    return fit_models(transactions, config)
