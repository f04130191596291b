"""Probabilistic links (Fellegi-Sunter via Splink): a thin adapter over scv.linking.

Splink runs on its own in-memory DuckDB connection, so no `__splink__` scratch table reaches the
warehouse. The trained model shipped in scv/models/ scores the records (no training at build time).
"""

from scv.identity import fuzzy_candidates
from scv.linking import predict_edges


def model(dbt, session):
    dbt.config(materialized="table")
    records = dbt.ref("int_identity__records").df()
    threshold = float(dbt.config.get("match_threshold") or 0.5)
    return predict_edges(fuzzy_candidates(records), threshold=threshold)
