"""Customers -> households: the connected components of int_customer__household_links, each named
after its oldest customer (a thin adapter over scv.households.assign_households)."""

from scv.households import assign_households


def model(dbt, session):
    dbt.config(materialized="table")
    max_customers = int(dbt.config.get("household_max_customers"))
    customers = dbt.ref("int_identity__customer_keys").filter("valid_to is null").aggregate(
        "customer_id, min(customer_first_issued_at) as customer_first_issued_at", "customer_id").df()
    links = dbt.ref("int_customer__household_links").df()
    return assign_households(customers, links, max_customers)
