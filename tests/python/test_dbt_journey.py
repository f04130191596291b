"""The journey marts on the small world: sessions, orders, attribution, interactions, engagement.

Governance rules 6 (storage limitation) and 15 (money reconciles) are shown to fail: the built
warehouse is copied, the rule is broken in the copy, and `dbt test` on the copy must go red.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from support import run_dbt

pytestmark = pytest.mark.dbt

ENGAGEMENT_TYPES = {
    "customer_id": "VARCHAR", "store_visit_count": "BIGINT", "store_spend_reporting": "DECIMAL(18,2)",
    "last_store_visit_at": "TIMESTAMP", "support_ticket_count": "BIGINT", "open_ticket_count": "BIGINT",
    "last_satisfaction_score": "INTEGER", "last_email_open_at": "TIMESTAMP", "last_email_click_at": "TIMESTAMP",
    "is_email_bounced": "BOOLEAN", "is_email_unsubscribed": "BOOLEAN", "web_session_count": "BIGINT",
    "last_web_visit_at": "TIMESTAMP", "product_view_count": "BIGINT", "has_abandoned_cart": "BOOLEAN",
}


def _scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchall()[0][0]


def test_journey_marts_build(built_world):
    landing, warehouse, result = built_world
    assert result.ok, result.output[-4000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    # orders: one row per sale of int_orders__unified, the same money
    assert _scalar(con, "select count(*) from orders") == _scalar(con, "select count(*) from int_orders__unified")
    assert _scalar(con, "select sum(net_revenue) from orders") == _scalar(
        con, "select sum(net_revenue) from int_orders__unified")
    # every session counts every web event once
    assert _scalar(con, "select sum(event_count) from int_web__sessions") == _scalar(
        con, "select count(*) from stg_web__events")
    # engagement: one row per customer of the identity map, with the agreed column types
    assert _scalar(con, "select count(*) from int_customer__engagement") == _scalar(
        con, "select count(distinct customer_id) from customer_identity_map")
    types = dict(con.execute("select column_name, data_type from information_schema.columns "
                             "where table_name = 'int_customer__engagement'").fetchall())
    assert types == ENGAGEMENT_TYPES


def test_events_before_login_belong_to_the_customer(built_world):
    _, warehouse, _ = built_world
    con = duckdb.connect(str(warehouse), read_only=True)
    # web events of visitors that later logged into a shop account, from before the login, on the timeline
    rows = con.execute("""
        with logins as (
            select anonymous_id, min(occurred_at) as login_at, min(shop_customer_id) as shop_customer_id
            from stg_web__events where shop_customer_id is not null group by anonymous_id
            having count(distinct shop_customer_id) = 1
        )
        select
            interactions.customer_id = accounts.customer_id as same_customer
        from stg_web__events as events
        inner join logins on events.anonymous_id = logins.anonymous_id and events.occurred_at < logins.login_at
        inner join customer_interactions as interactions
            on interactions.interaction_key = 'web:events:' || events.event_id
        inner join customer_identity_map as accounts
            on accounts.record_key = 'shop:customers:' || logins.shop_customer_id
    """).fetchall()
    assert len(rows) > 20
    assert sum(1 for (same,) in rows if same) / len(rows) >= 0.95


def test_old_behavioural_detail_is_aggregated(built_world):
    _, warehouse, _ = built_world
    con = duckdb.connect(str(warehouse), read_only=True)
    cutoff = _scalar(con, """
        select max(occurred_at) - interval 25 month
        from (select occurred_at from stg_web__events union all select occurred_at from stg_email__events)
    """)
    oldest_detail = _scalar(con, "select min(occurred_at) from customer_interactions "
                                 "where channel in ('web', 'email') and not is_aggregate")
    assert oldest_detail >= cutoff
    # nothing is lost: detail plus aggregated counts are every retained web and email event of a customer
    counted = _scalar(con, "select sum(event_count) from customer_interactions where channel = 'web'")
    assert counted == _scalar(con, "select count(*) from stg_web__events")
    assert _scalar(con, "select count(*) from customer_interactions where is_aggregate") > 0


def _tamper_and_test(warehouse: Path, landing: Path, tmp_path: Path, sql: list[str], tests: list[str]) -> str:
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    for statement in sql:
        con.execute(statement)
    con.close()
    result = run_dbt(["test", "--select", *tests], landing, copy)
    assert not result.ok, f"{tests} did not fail on broken data"
    for test in tests:
        assert any(test in line and "FAIL" in line for line in result.output.splitlines()), \
            f"{test} did not fail:\n{result.output[-3000:]}"
    return result.output


def test_rule_6_fails_when_old_detail_is_exposed(built_world, tmp_path):
    landing, warehouse, _ = built_world
    # an old web event put back on the timeline one by one, next to its monthly aggregate
    _tamper_and_test(warehouse, landing, tmp_path, [
        "insert into customer_interactions "
        "select 'web:events:resurrected', customer_id, channel, interaction_type, occurred_at, value_amount, "
        "value_currency, detail, 1, false, null, source_system, source_table, 'resurrected' "
        "from customer_interactions where is_aggregate and channel = 'web' limit 1",
        "update order_attribution set touched_at = timestamp '2000-01-01', touch_type = 'web_session' "
        "where order_key = (select min(order_key) from order_attribution)",
    ], ["customer_interactions_behavioural_detail_within_retention",
        "customer_interactions_behavioural_sources_within_retention",
        "order_attribution_behavioural_detail_within_retention"])


def test_rule_15_fails_when_revenue_does_not_reconcile(built_world, tmp_path):
    landing, warehouse, _ = built_world
    # one customer's order gains 10 units of money in the mart that staging never had
    _tamper_and_test(warehouse, landing, tmp_path, [
        "update orders set net_revenue = net_revenue + 10, net_revenue_reporting = net_revenue_reporting + 10 "
        "where order_key = (select min(order_key) from orders where is_revenue and customer_id is not null)",
    ], ["orders_revenue_reconciles_with_staging_per_currency",
        "orders_revenue_reconciles_with_staging_per_customer",
        "orders_revenue_reconciles_with_staging_per_customer_in_reporting_currency"])
