"""Identity records -> clusters under guardrails: a thin adapter over scv.clustering."""

from scv.clustering import Guardrails, cluster


def model(dbt, session):
    dbt.config(materialized="table")
    records = dbt.ref("int_identity__records").df()
    exact = dbt.ref("int_identity__exact_edges").df()
    fuzzy = dbt.ref("int_identity__fuzzy_edges").df()
    guardrails = Guardrails.from_seed(
        dbt.ref("identifier_limits").df(), max_cluster_size=int(dbt.config.get("max_cluster_size") or 200))
    assignments, decisions = cluster(records, exact, fuzzy, guardrails, dbt.ref("identity_overrides").df())
    # per record: how many of its edges a guardrail rejected (customers with any are flagged for review)
    rejected = decisions[~decisions.accepted & decisions.rejected_because.ne("unknown_record")]
    counts = (rejected.melt(value_vars=["record_key_l", "record_key_r"], value_name="record_key")
              .groupby("record_key").size().rename("rejected_edge_count"))
    assignments = assignments.merge(counts, how="left", left_on="record_key", right_index=True)
    assignments["rejected_edge_count"] = assignments["rejected_edge_count"].fillna(0).astype("int64")
    return assignments
