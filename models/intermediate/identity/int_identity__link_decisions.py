"""Every link with the guardrailed clustering's decision on it: a thin adapter over scv.clustering.decide."""

from scv.clustering import Guardrails, decide, decision_record_columns
from scv.identity import parse_flag, parse_list


def model(dbt, session):
    dbt.config(materialized="table")
    # plain dbt.config.get(...) assignments: dbt only passes the config keys it finds this way
    max_cluster_size = dbt.config.get("max_cluster_size")
    fuzzy_min_probability = dbt.config.get("fuzzy_min_probability")
    nameless_email_links = dbt.config.get("nameless_email_links")
    deduplicated_sources = dbt.config.get("deduplicated_sources")
    limits = dbt.ref("identifier_limits").df()
    records = dbt.ref("int_identity__records")
    # only the columns the decisions read (all of them cost gigabytes at 3M records)
    records = records.select(*decision_record_columns(records.columns, limits)).df()
    exact = dbt.ref("int_identity__exact_edges").select("record_key_l", "record_key_r", "rule", "confidence").df()
    fuzzy = dbt.ref("int_identity__fuzzy_edges").select("record_key_l", "record_key_r", "match_probability").df()
    guardrails = Guardrails.from_seed(
        limits,
        max_cluster_size=int(max_cluster_size),
        fuzzy_min_probability=float(fuzzy_min_probability),
        nameless_email_links=parse_flag(nameless_email_links, "identity_nameless_email_links"),
        deduplicated_sources=parse_list(deduplicated_sources),
    )
    return decide(records, exact, fuzzy, guardrails, dbt.ref("identity_overrides").df())
