"""Households (scv.households): customers grouped by shared address or mailbox, never merged."""

from __future__ import annotations

import pandas as pd
import pytest

from scv.households import ALONE, TOO_LARGE, assign_households, household_id


def customers(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "customer_first_issued_at"]).assign(
        customer_first_issued_at=lambda d: pd.to_datetime(d.customer_first_issued_at))


def links(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id_l", "customer_id_r", "shares_address", "shares_email"])


def by_customer(result: pd.DataFrame) -> dict[str, tuple]:
    return {r.customer_id: (r.household_id, r.household_size, r.household_linked_by) for r in result.itertuples()}


def test_a_household_is_a_component_named_after_its_oldest_customer():
    # ann and bob share an address; bob and a nameless newsletter sign-up (news) share the family
    # mailbox; cat lives alone
    people = customers(("ann", "2024-01-01"), ("bob", "2023-06-01"), ("news", "2025-01-01"), ("cat", "2022-01-01"))
    got = by_customer(assign_households(people, links(("ann", "bob", True, False), ("bob", "news", False, True)), 10))
    family = household_id("bob")   # bob is the oldest of the three
    assert got["ann"] == (family, 3, "address")
    assert got["bob"] == (family, 3, "address_and_email")
    assert got["news"] == (family, 3, "email")
    assert got["cat"] == (household_id("cat"), 1, ALONE)


def test_the_household_id_survives_a_new_member_and_a_merge_keeps_the_older_id():
    people = customers(("ann", "2024-01-01"), ("bob", "2023-06-01"))
    before = by_customer(assign_households(people, links(("ann", "bob", True, False)), 10))
    # a newer customer joins: same id
    people = pd.concat([people, customers(("dan", "2026-01-01"))])
    after = by_customer(assign_households(people, links(("ann", "bob", True, False), ("ann", "dan", True, False)), 10))
    assert before["ann"][0] == after["ann"][0] == after["dan"][0] == household_id("bob")
    # two households merge: the older household's id wins, whatever the customer ids' order
    people = pd.concat([people, customers(("aaa", "2025-01-01"), ("abe", "2025-02-01"))])
    merged = by_customer(assign_households(people, links(("ann", "bob", True, False), ("ann", "dan", True, False),
                                                         ("aaa", "abe", True, False), ("abe", "dan", False, True)), 10))
    assert {v[0] for v in merged.values()} == {household_id("bob")}


def test_a_component_above_the_limit_is_no_household():
    # a student hall: six customers chained by one address, limit 5
    hall = customers(*[(f"s{i}", "2024-01-01") for i in range(6)], ("x", "2024-01-01"), ("y", "2024-01-02"))
    chain = links(*[(f"s{i}", f"s{i + 1}", True, False) for i in range(5)], ("x", "y", False, True))
    got = by_customer(assign_households(hall, chain, max_customers=5))
    assert all(got[f"s{i}"] == (household_id(f"s{i}"), 1, TOO_LARGE) for i in range(6))
    assert got["x"][:2] == got["y"][:2] == (household_id("x"), 2)


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="at least 1"):
        assign_households(customers(("a", "2024-01-01")), links(), 0)
    with pytest.raises(ValueError, match="not in the customer list"):
        assign_households(customers(("a", "2024-01-01")), links(("a", "ghost", True, False)), 5)
    with pytest.raises(ValueError, match="lack columns"):
        assign_households(pd.DataFrame({"customer_id": ["a"]}), links(), 5)
