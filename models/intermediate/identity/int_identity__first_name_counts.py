"""How many identity records write each first name this way: a thin adapter over
scv.identity.first_name_counts_sql.

Its own table rather than a column of int_identity__records: the counts of common names move with
almost every new record (on a 1M-person day with 1% new records, 2 million records' counts
changed), while the records themselves are updated in place.
"""

from scv.identity import first_name_counts_sql


def model(dbt, session):
    dbt.config(materialized="table")
    records = dbt.ref("int_identity__records")
    return session.sql(first_name_counts_sql(f"({records.sql_query()})"))
