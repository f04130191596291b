"""Identity records -> clusters: the connected components of the links that merged customers in
int_identity__link_decisions (a thin adapter over scv.clustering.assignments_from_decisions)."""

from scv.clustering import assignments_from_decisions


def model(dbt, session):
    dbt.config(materialized="table")
    records = dbt.ref("int_identity__records").select("record_key").df()
    decisions = dbt.ref("int_identity__link_decisions").df()
    return assignments_from_decisions(records, decisions)
