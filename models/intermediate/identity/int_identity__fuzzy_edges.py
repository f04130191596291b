"""Probabilistic links (Fellegi-Sunter via Splink): a thin adapter over scv.identity / scv.linking.

Splink runs on its own in-memory DuckDB connection, so no `__splink__` scratch table reaches the
warehouse. By default the trained model shipped in scv/models scores the records (no training at
build time); var identity_linking_model: train fits it on the build's own records instead.
"""

from scv.identity import CANDIDATE_FILTER_SQL, fuzzy_edges, parse_flag


def model(dbt, session):
    dbt.config(materialized="table")
    # plain dbt.config.get(...) assignments: dbt only passes the config keys it finds this way
    linking_model = dbt.config.get("linking_model")
    household_veto = dbt.config.get("household_veto")
    match_threshold = dbt.config.get("match_threshold")
    records = dbt.ref("int_identity__records").filter(CANDIDATE_FILTER_SQL).df()
    return fuzzy_edges(
        records,
        linking_model=str(linking_model),
        household_veto=parse_flag(household_veto, "identity_household_veto"),
        threshold=float(match_threshold),
    )
