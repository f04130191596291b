"""Customers -> households: the connected components of int_customer__household_links, each named
after its oldest customer (a thin adapter over scv.households.households_sql, which runs in the
warehouse's own DuckDB session)."""

from scv.households import households_sql


def model(dbt, session):
    dbt.config(materialized="table")
    max_customers = int(dbt.config.get("household_max_customers"))
    keys = dbt.ref("int_identity__customer_keys")
    links = dbt.ref("int_customer__household_links")
    customers = f"(select customer_id, customer_first_issued_at from ({keys.sql_query()}) where valid_to is null)"
    return households_sql(session, customers, f"({links.sql_query()})", max_customers)
