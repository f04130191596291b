"""The customer marts on a built small world: a BI-style read of one customer's full profile through a
separate read-only connection, the golden record's provenance, source quality, and the governance
tests of customer_360 (one row per customer; revenue reconciles) shown to fail on broken data."""

from __future__ import annotations

import re
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest

from support import run_dbt

pytestmark = pytest.mark.dbt


def test_bi_read_of_one_customer_profile(built_world):
    landing, warehouse, result = built_world
    assert result.ok, result.output[-4000:]
    # a BI tool: its own read-only connection to the warehouse file
    bi = duckdb.connect(str(warehouse), read_only=True)
    try:
        customer_id = bi.execute(
            "select customer_id from customer_360 where email is not null and order_count > 0 "
            "order by source_count desc, identity_record_count desc, customer_id limit 1").fetchone()[0]
        cursor = bi.execute("select * from customer_360 where customer_id = ?", [customer_id])
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        assert len(rows) == 1
        profile = dict(zip(columns, rows[0]))
        identity_rows = bi.execute(
            "select source_system, source_table, source_record_id, linked_by from customer_identity_map "
            "where customer_id = ? order by source_system, source_record_id", [customer_id]).fetchall()
        provenance = bi.execute(
            "select attribute, value, is_winner, rule, source_system, source_record_id, observed_at "
            "from customer_attribute_provenance where customer_id = ? order by attribute, value_rank",
            [customer_id]).fetchall()
        contacts = bi.execute(
            "select contact_type, contact_value, is_golden from customer_contact_points where customer_id = ?",
            [customer_id]).fetchall()
    finally:
        bi.close()
    # the profile agrees with its evidence
    assert profile["identity_record_count"] == len(identity_rows)
    assert profile["sources_present"] == ",".join(sorted({r[0] for r in identity_rows}))
    winners = {r[0]: r[1] for r in provenance if r[2]}
    assert winners["email"] == profile["email"]
    assert profile["full_name"] is None or winners["name"] == profile["full_name"]
    assert ("email", profile["email"], True) in contacts
    # every winner is one of the customer's own records
    keys = {(r[0], r[2]) for r in identity_rows}
    assert all((r[4], r[5]) in keys for r in provenance)
    # orders and revenue are filled; the columns other marts fill exist, typed and NULL for now
    assert profile["order_count"] > 0 and profile["net_revenue_reporting"] is not None
    assert sum(profile["net_revenue_by_currency"].values()) >= 0
    for column in ("store_visit_count", "can_email_marketing", "predicted_clv_12m"):
        assert column in profile


def test_golden_record_and_contact_points_are_consistent(built_world):
    _, warehouse, _ = built_world
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        # exactly one winner per customer and attribute, and it is what customer_360 shows (nothing
        # for a customer an erasure covers)
        assert con.execute(
            "select count(*) from (select customer_id, attribute from customer_attribute_provenance "
            "group by all having sum(case when is_winner then 1 else 0 end) != 1)").fetchone()[0] == 0
        assert con.execute(
            "select count(*) from customer_360 c join customer_attribute_provenance p "
            "on c.customer_id = p.customer_id and p.attribute = 'email' and p.is_winner "
            "where c.email is distinct from case when not c.is_erased then p.value end").fetchone()[0] == 0
        assert con.execute("select count(*) from customer_360 where is_erased and coalesce(first_name, last_name, "
                           "email, phone, street, city, postcode) is not null").fetchone()[0] == 0
        # the golden email and phone are valid contact points of the customer
        assert con.execute(
            "select count(*) from customer_contact_points where is_golden and not is_valid").fetchone()[0] == 0
        golden = con.execute("select count(*) from customer_contact_points p join customer_360 c using (customer_id)"
                             " where p.is_golden and p.contact_type = 'email' and not c.is_erased").fetchone()[0]
        assert golden == con.execute("select count(email) from customer_360").fetchone()[0] > 0
        # invalid values are kept, with a reason
        assert con.execute("select count(*) from customer_contact_points where not is_valid and invalid_reason is null"
                           ).fetchone()[0] == 0
    finally:
        con.close()


def test_source_quality_counts_every_landing_row(built_world):
    landing, warehouse, _ = built_world
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("select source_system, source_table, landing_rows, identity_record_count, match_rate "
                           "from source_quality").fetchall()
        summary = con.execute("select customer_count_after, record_count_after from identity_change_summary "
                              "order by build_at desc limit 1").fetchone()
        mapped = con.execute("select count(distinct customer_id), count(*) from customer_identity_map").fetchone()
    finally:
        con.close()
    assert len(rows) == 14
    for source, table, landing_rows, identity_records, match_rate in rows:
        assert landing_rows == pq.read_metadata(landing / source / f"{table}.parquet").num_rows, (source, table)
        assert (identity_records is None) == (f"{source}/{table}" in {
            "shop/order_lines", "shop/refunds", "pos/transactions", "email/events", "consent/events",
            "privacy/requests"})
        assert match_rate is None or 0 <= match_rate <= 1
    assert summary == mapped


def test_customer_360_governance_tests_fail_on_broken_data(built_world, tmp_path):
    landing, warehouse, _ = built_world
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    # a customer (with revenue) goes missing from customer_360
    con.execute("delete from customer_360 where customer_id = (select min(customer_id) from customer_360 "
                "where net_revenue_reporting > 0)")
    con.close()
    result = run_dbt(["test", "--select", "assert_customer_360_has_one_row_per_customer",
                      "assert_customer_360_revenue_reconciles"], landing, copy)
    assert not result.ok
    for test_name in ("assert_customer_360_has_one_row_per_customer", "assert_customer_360_revenue_reconciles"):
        assert re.search(rf"FAIL \d+ {test_name}", result.output), result.output[-3000:]
