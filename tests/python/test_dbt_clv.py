"""The CLV marts on the small generated world: one row per customer, and governance rule 4 (a profiling
objection removes the customer's marketing segment), shown to fail on a tampered copy."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from support import run_dbt

pytestmark = pytest.mark.dbt


def test_clv_marts_on_the_small_world(built_world):
    landing, warehouse, result = built_world
    assert result.ok, result.output[-4000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    customers = con.execute("select count(distinct customer_id) from customer_identity_map").fetchall()[0][0]
    rows, distinct, buyers = con.execute(
        "select count(*), count(distinct customer_id), count(clv_model) from customer_clv").fetchall()[0]
    assert rows == distinct == customers and 0 < buyers < rows
    objectors = con.execute(
        "select count(*), count(c.marketing_segment), min(c.has_profiling_objection::int) "
        "from int_consent__customer_restrictions o join customer_clv c using (customer_id) "
        "where o.has_objected_to_profiling").fetchall()[0]
    assert objectors[0] > 0 and objectors[1] == 0 and objectors[2] == 1
    stages = dict(con.execute("select lifecycle_stage, count(*) from customer_clv group by 1").fetchall())
    assert stages.get("prospect", 0) > 0 and set(stages) <= {"prospect", "new", "active", "at_risk", "lapsed"}
    # cohorts: month 0 holds every cohort customer
    assert con.execute("select count(*) from customer_cohorts where months_since_first_order = 0 "
                       "and active_customers != cohort_customers").fetchall()[0][0] == 0
    assert con.execute("select sum(cohort_customers) from customer_cohorts where months_since_first_order = 0"
                       ).fetchall()[0][0] == buyers


def test_rule_4_fails_when_an_objector_keeps_a_marketing_segment(built_world, tmp_path):
    landing, warehouse, _ = built_world
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("update customer_clv set marketing_segment = 'champions' "
                "where customer_id = (select min(customer_id) from int_consent__customer_restrictions "
                "where has_objected_to_profiling)")
    con.close()
    result = run_dbt(["test", "--select", "assert_no_marketing_segment_after_profiling_objection"], landing, copy)
    assert not result.ok, "rule 4 did not fail on an objector with a marketing segment"
