"""Identity records -> clusters under guardrails: a thin adapter over scv.clustering."""

from scv.clustering import Guardrails, cluster


def model(dbt, session):
    dbt.config(materialized="table")
    records = dbt.ref("int_identity__records").df()
    exact = dbt.ref("int_identity__exact_edges").df()
    fuzzy = dbt.ref("int_identity__fuzzy_edges").df()
    guardrails = Guardrails.from_seed(
        dbt.ref("identifier_limits").df(),
        max_cluster_size=int(dbt.config.get("max_cluster_size")),
        fuzzy_min_probability=float(dbt.config.get("fuzzy_min_probability")),
    )
    assignments, _decisions = cluster(records, exact, fuzzy, guardrails, dbt.ref("identity_overrides").df())
    return assignments
