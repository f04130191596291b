"""Per-customer CLV predictions, RFM and lifecycle from the published chosen model: a thin adapter over scv.clv."""

from scv.clv import config_from_dbt, predict


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
        "new_customer_days": dbt.config.get("new_customer_days"),
        "active_days": dbt.config.get("active_days"),
        "at_risk_days": dbt.config.get("at_risk_days"),
        "at_risk_below_p_alive": dbt.config.get("at_risk_below_p_alive"),
    })
    return predict(
        dbt.ref("int_clv__transactions").df(),
        dbt.ref("int_clv__model_fit").df(),
        config,
        rfm_segments=dbt.ref("rfm_segments").df(),
        clv_tiers=dbt.ref("clv_tiers").df(),
    )
