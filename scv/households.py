"""Households: customers who live together or share a mailbox, grouped (customer_households).

Identity resolution keeps household members apart on purpose: twins, partners and children share
an address, a surname and often a mailbox, and a false merge shows one person's data to another.
Marketing still wants the household (one catalogue per address, a newsletter sign-up with nothing
but a family mailbox): this module groups *customers*, never their records, so no customer's data
moves. The links come from int_customer__household_links (customers sharing a specific address or
an email address); a household is a connected component of them.

Guardrail: a component above `max_customers` is not a household (a student hall, an office
mailbox, chained links): its customers stay households of one, marked `too_large`.

Household ids are stable in the way customer ids are: a household is named after its oldest
customer (earliest customer_first_issued_at, then customer_id), so a new customer joining keeps the
household's id, a merge of two households keeps the older one's id, and a household that splits
leaves the id with the part holding the oldest customer.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from scv.clustering import smallest_keys

#: household_linked_by values
ALONE = "alone"
TOO_LARGE = "too_large"

OUTPUT_COLUMNS = ["customer_id", "household_id", "household_size", "household_linked_by"]


def household_id(oldest_customer_id: str) -> str:
    """The id of the household whose oldest customer is `oldest_customer_id`."""
    return "hh_" + hashlib.md5(oldest_customer_id.encode()).hexdigest()[:16]


def assign_households(customers: pd.DataFrame, links: pd.DataFrame, max_customers: int) -> pd.DataFrame:
    """One row per customer: customer_id, household_id, household_size, household_linked_by.

    `customers`: customer_id, customer_first_issued_at (every customer, linked or not).
    `links`: customer_id_l, customer_id_r, shares_address, shares_email (customer pairs).
    `household_linked_by`: what the customer's links inside its household share (address, email,
    address_and_email), `alone`, or `too_large` (its component had more than `max_customers`).
    """
    if max_customers < 1:
        raise ValueError(f"household_max_customers must be at least 1, got {max_customers}")
    missing = {"customer_id", "customer_first_issued_at"} - set(customers.columns)
    if missing:
        raise ValueError(f"customers lack columns {sorted(missing)}")
    out = customers[["customer_id", "customer_first_issued_at"]].drop_duplicates("customer_id").copy()
    out["customer_id"] = out["customer_id"].astype(str)
    out["component"] = out["customer_id"]
    unknown = set(links["customer_id_l"].astype(str)) | set(links["customer_id_r"].astype(str))
    unknown -= set(out["customer_id"])
    if unknown:
        raise ValueError(f"{len(unknown)} linked customers are not in the customer list, e.g. {sorted(unknown)[:3]}")
    if len(links):
        keys, smallest = smallest_keys(links.rename(columns={"customer_id_l": "record_key_l",
                                                             "customer_id_r": "record_key_r"}))
        component = dict(zip(keys, smallest))
        out["component"] = out["customer_id"].map(component).fillna(out["customer_id"])
    size = out.groupby("component")["customer_id"].transform("size")
    too_large = size > max_customers
    out.loc[too_large, "component"] = out.loc[too_large, "customer_id"]
    out["household_size"] = np.where(too_large, 1, size).astype("int64")

    # the oldest customer names the household (NaT sorts last: a customer without a first issue
    # time is never older than one with)
    ordered = out.sort_values(["component", "customer_first_issued_at", "customer_id"], na_position="last")
    oldest = ordered.drop_duplicates("component").set_index("component")["customer_id"]
    out["household_id"] = out["component"].map(oldest).map(household_id)

    linked_by = _linked_by(links, out.set_index("customer_id")["component"])
    out["household_linked_by"] = out["customer_id"].map(linked_by).fillna(ALONE)
    out.loc[too_large, "household_linked_by"] = TOO_LARGE
    return out[OUTPUT_COLUMNS].sort_values("customer_id").reset_index(drop=True)


def _linked_by(links: pd.DataFrame, component: pd.Series) -> pd.Series:
    """Per customer: the evidence of its links that stayed inside its household."""
    if not len(links):
        return pd.Series(dtype=object)
    l_ = links["customer_id_l"].astype(str)
    r_ = links["customer_id_r"].astype(str)
    inside = component.reindex(l_).to_numpy() == component.reindex(r_).to_numpy()
    ends = pd.DataFrame({
        "customer_id": pd.concat([l_[inside], r_[inside]], ignore_index=True),
        "address": pd.concat([links["shares_address"][inside]] * 2, ignore_index=True).astype(bool),
        "email": pd.concat([links["shares_email"][inside]] * 2, ignore_index=True).astype(bool),
    })
    shares = ends.groupby("customer_id")[["address", "email"]].any()
    return pd.Series(np.select([shares["address"] & shares["email"], shares["address"], shares["email"]],
                               ["address_and_email", "address", "email"], default=ALONE),
                     index=shares.index)
