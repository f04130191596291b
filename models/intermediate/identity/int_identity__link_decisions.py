"""Every link with the guardrailed clustering's decision on it: a thin adapter over scv.clustering.decide.

The model reads its own previous contents before replacing them (scv.identity.link_decisions_sql):
only the link components touched by a change since (a record's match keys, a link new, gone or of
another confidence) are decided again; var identity_incremental: false decides every link.
"""

from datetime import datetime, timezone

from scv.clustering import Guardrails
from scv.identity import DECISION_STATE_COLUMNS, has_previous, link_decisions_sql, parse_flag, parse_list


def model(dbt, session):
    dbt.config(materialized="table")
    # plain dbt.config.get(...) assignments: dbt only passes the config keys it finds this way
    max_cluster_size = dbt.config.get("max_cluster_size")
    fuzzy_min_probability = dbt.config.get("fuzzy_min_probability")
    nameless_email_links = dbt.config.get("nameless_email_links")
    deduplicated_sources = dbt.config.get("deduplicated_sources")
    incremental = dbt.config.get("incremental_identity")
    limits = dbt.ref("identifier_limits").df()
    guardrails = Guardrails.from_seed(
        limits,
        max_cluster_size=int(max_cluster_size),
        fuzzy_min_probability=float(fuzzy_min_probability),
        nameless_email_links=parse_flag(nameless_email_links, "identity_nameless_email_links"),
        deduplicated_sources=parse_list(deduplicated_sources),
    )
    previous = None
    if parse_flag(incremental, "identity_incremental") and has_previous(session, dbt.this, DECISION_STATE_COLUMNS):
        previous = str(dbt.this)
    records = dbt.ref("int_identity__records")
    exact = dbt.ref("int_identity__exact_edges")
    fuzzy = dbt.ref("int_identity__fuzzy_edges")
    build_at = datetime.now(timezone.utc).replace(tzinfo=None)
    return link_decisions_sql(session, f"({records.sql_query()})", f"({exact.sql_query()})",
                              f"({fuzzy.sql_query()})", dbt.ref("identity_overrides").df(), guardrails,
                              previous, build_at)
