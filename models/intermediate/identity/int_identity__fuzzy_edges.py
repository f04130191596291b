"""Probabilistic links (Fellegi-Sunter via Splink): a thin adapter over scv.identity / scv.linking.

Splink runs on its own in-memory DuckDB connection, so no `__splink__` scratch table reaches the
warehouse. By default the trained model shipped in scv/models scores the records (no training at
build time); var identity_linking_model: train fits it on the build's own records instead.

Scoring is incremental by default: the model reads its own previous edges, finds candidate pairs
only for the records whose match keys changed since, and scores those pairs and the previous edges
again (scv.identity._incremental_edges); var identity_incremental: false blocks and
scores every pair from scratch.
"""

from scv.identity import SCORING_COLUMNS, fuzzy_edges, fuzzy_input_sql, parse_flag, previous_contents


def model(dbt, session):
    dbt.config(materialized="table")
    # plain dbt.config.get(...) assignments: dbt only passes the config keys it finds this way
    linking_model = dbt.config.get("linking_model")
    household_veto = dbt.config.get("household_veto")
    match_threshold = dbt.config.get("match_threshold")
    incremental = dbt.config.get("incremental_identity")
    previous = None
    if parse_flag(incremental, "identity_incremental"):
        previous = previous_contents(session, dbt.this, SCORING_COLUMNS,
                                     select="record_key_l, record_key_r, " + ", ".join(SCORING_COLUMNS))
    # an Arrow table, not pandas: a third of the memory, and no per-value conversion
    records = dbt.ref("int_identity__records")
    first_name_counts = dbt.ref("int_identity__first_name_counts")
    records = (session.sql(fuzzy_input_sql(f"({records.sql_query()})", f"({first_name_counts.sql_query()})"))
               .to_arrow_reader().read_all())
    return fuzzy_edges(
        records,
        linking_model=str(linking_model),
        household_veto=parse_flag(household_veto, "identity_household_veto"),
        threshold=float(match_threshold),
        previous=previous,
    )
