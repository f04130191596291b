"""Per-customer CLV predictions, RFM and lifecycle from the published chosen model: a thin adapter over scv.clv."""

from scv.clv import config_from_dbt, predict


def model(dbt, session):
    dbt.config(materialized="table")
    config = config_from_dbt(dbt.config.get)
    return predict(
        dbt.ref("int_clv__transactions").df(),
        dbt.ref("int_clv__model_fit").df(),
        config,
        rfm_segments=dbt.ref("rfm_segments").df(),
        clv_tiers=dbt.ref("clv_tiers").df(),
    )
