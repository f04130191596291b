"""Identity records -> clusters: the connected components of the links that merged customers in
int_identity__link_decisions (a thin adapter over scv.clustering.assignments_from_decisions).

The model reads its own previous contents before replacing them (scv.identity.clusters_sql): only
the records of link components decided since are clustered again; var identity_incremental: false
clusters every record.
"""

from scv.identity import clusters_sql, has_previous, parse_flag

COLUMNS = ["record_key", "cluster_key", "link_confidence", "linked_by", "cluster_confidence", "rejected_edge_count",
           "decided_at"]


def model(dbt, session):
    dbt.config(materialized="table")
    incremental = dbt.config.get("incremental_identity")
    previous = None
    if parse_flag(incremental, "identity_incremental") and has_previous(session, dbt.this, COLUMNS):
        previous = str(dbt.this)
    records = dbt.ref("int_identity__records")
    decisions = dbt.ref("int_identity__link_decisions")
    return clusters_sql(session, f"({records.sql_query()})", f"({decisions.sql_query()})", previous)
