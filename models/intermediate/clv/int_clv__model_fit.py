"""BG/NBD, Pareto/NBD and Gamma-Gamma fits (one row per model x parameter x fit window): a thin adapter over scv.clv."""

from scv.clv import config_from_dbt, fit_models


def model(dbt, session):
    dbt.config(materialized="table")
    config = config_from_dbt(dbt.config.get)
    transactions = dbt.ref("int_clv__transactions").df()
    return fit_models(transactions, config)
