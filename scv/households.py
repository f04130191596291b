"""Households: customers who live together or share a mailbox, grouped (customer_households).

Identity resolution keeps household members apart on purpose: twins, partners and children share
an address, a surname and often a mailbox, and a false merge shows one person's data to another.
Marketing still wants the household (one catalogue per address, a newsletter sign-up with nothing
but a family mailbox): this module groups *customers*, never their records, so no customer's data
moves. The links come from int_customer__household_links (customers sharing a specific address and
surname, or an email address); a household is a connected component of them.

Guardrail: a component above `max_customers` is not a household (a student hall, an office
mailbox, chained links): its customers stay households of one, marked `too_large`.

Household ids are stable in the way customer ids are: a household is named after its oldest
customer (earliest customer_first_issued_at, then customer_id), so a new customer joining keeps the
household's id, a merge of two households keeps the older one's id, and a household that splits
leaves the id with the part holding the oldest customer.
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pandas as pd

#: household_linked_by values
ALONE = "alone"
TOO_LARGE = "too_large"

OUTPUT_COLUMNS = ["customer_id", "household_id", "household_size", "household_linked_by"]


def household_id(oldest_customer_id: str) -> str:
    """The id of the household whose oldest customer is `oldest_customer_id` (the SQL below
    computes the same value: 'hh_' || left(md5(id), 16))."""
    return "hh_" + hashlib.md5(oldest_customer_id.encode()).hexdigest()[:16]


def assign_households(customers: pd.DataFrame, links: pd.DataFrame, max_customers: int) -> pd.DataFrame:
    """One row per customer: customer_id, household_id, household_size, household_linked_by.

    `customers`: customer_id, customer_first_issued_at (every customer, linked or not).
    `links`: customer_id_l, customer_id_r, shares_address, shares_email (customer pairs).
    The frame form of :func:`households_sql` (which the dbt model runs in the warehouse).
    """
    missing = {"customer_id", "customer_first_issued_at"} - set(customers.columns)
    if missing:
        raise ValueError(f"customers lack columns {sorted(missing)}")
    con = duckdb.connect()
    try:
        con.register("customers_in", customers[["customer_id", "customer_first_issued_at"]])
        con.register("links_in", links[["customer_id_l", "customer_id_r", "shares_address", "shares_email"]])
        return households_sql(con, "customers_in", "links_in", max_customers).df()
    finally:
        con.close()


def households_sql(con, customers: str, links: str, max_customers: int):
    """The households of `customers` (a relation with customer_id, customer_first_issued_at; a
    customer may appear more than once) linked by `links` (customer_id_l, customer_id_r,
    shares_address, shares_email), as a DuckDB relation on `con`: customer_id, household_id,
    household_size, household_linked_by (what the customer's links inside its household share:
    address, email, address_and_email; `alone`; or `too_large`, its component had more than
    `max_customers` customers).

    The customers are numbered in DuckDB and only the numbered link ends go to scipy: sorting and
    grouping a million customer ids as Python strings took 27 s at 1M persons, and copying them
    out of the warehouse cost memory beside the build's other models.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if max_customers < 1:
        raise ValueError(f"household_max_customers must be at least 1, got {max_customers}")
    con.execute(f"""
        create or replace temp table scv_household_customers as
        select customer_id, first_issued_at, (row_number() over (order by customer_id) - 1)::bigint as code
        from (select customer_id::varchar as customer_id,
                     min(customer_first_issued_at)::timestamp as first_issued_at
              from {customers} group by 1)
    """)
    con.execute(f"""
        create or replace temp table scv_household_links as
        select l.code as code_l, r.code as code_r, links.shares_address::boolean as shares_address,
               links.shares_email::boolean as shares_email,
               links.customer_id_l::varchar as customer_id_l, links.customer_id_r::varchar as customer_id_r
        from {links} as links
        left join scv_household_customers l on l.customer_id = links.customer_id_l::varchar
        left join scv_household_customers r on r.customer_id = links.customer_id_r::varchar
    """)
    unknown = con.execute("""
        select count(*), min(coalesce(case when code_l is null then customer_id_l end, customer_id_r))
        from scv_household_links where code_l is null or code_r is null""").fetchall()[0]
    if unknown[0]:
        raise ValueError(f"{unknown[0]} links name customers that are not in the customer list, e.g. {unknown[1]}")
    n = con.execute("select count(*) from scv_household_customers").fetchall()[0][0]
    ends = con.execute("select code_l, code_r from scv_household_links").fetchnumpy()
    graph = coo_matrix((np.ones(len(ends["code_l"])), (ends["code_l"], ends["code_r"])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    con.register("scv_household_labels",
                 pd.DataFrame({"code": np.arange(n, dtype=np.int64), "label": labels.astype(np.int64)}))
    return con.sql(f"""
        with sized as (
            select c.*, labels.label, count(*) over (partition by labels.label) as component_size
            from scv_household_customers c join scv_household_labels labels using (code)
        ),
        households as (
            -- a component above the limit is no household: each of its customers is alone
            select *, component_size > {int(max_customers)} as too_large,
                   case when component_size > {int(max_customers)} then -1 - code else label end as household
            from sized
        ),
        named as (
            select *,
                   'hh_' || left(md5(first(customer_id order by first_issued_at asc nulls last, customer_id)
                                     over (partition by household)), 16) as household_id,
                   count(*) over (partition by household) as household_size
            from households
        ),
        inside as (
            select cl.*, l.customer_id as l_id, r.customer_id as r_id
            from scv_household_links cl
            join named l on l.code = cl.code_l
            join named r on r.code = cl.code_r and r.household = l.household
        ),
        shares as (
            select customer_id, bool_or(shares_address) as address, bool_or(shares_email) as email
            from (select l_id as customer_id, shares_address, shares_email from inside
                  union all
                  select r_id, shares_address, shares_email from inside)
            group by customer_id
        )
        select named.customer_id::varchar as customer_id, named.household_id::varchar as household_id,
               named.household_size::bigint as household_size,
               case when named.too_large then '{TOO_LARGE}'
                    when shares.address and shares.email then 'address_and_email'
                    when shares.address then 'address'
                    when shares.email then 'email'
                    else '{ALONE}' end as household_linked_by
        from named left join shares using (customer_id)
        order by named.customer_id
    """)
