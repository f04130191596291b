"""The dbt semantic layer (models/semantic and the semantic models next to the marts): the metrics
MetricFlow (`mf`, the query engine of dbt's semantic layer) serves from the built world equal plain
SQL over the marts."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from support import ROOT

MF = Path(sys.executable).parent / "mf"


@pytest.fixture(scope="module")
def semantic_project(built_world, tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the project whose target/ holds the built world's semantic manifest, and a copy of
    its warehouse: `mf` reads <project>/target/semantic_manifest.json and queries the warehouse."""
    _, warehouse, result = built_world
    assert result.ok, result.output[-3000:]
    root = tmp_path_factory.mktemp("semantic")
    project = root / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("models", "macros", "seeds", "analyses"):
        shutil.copytree(ROOT / folder, project / folder)
    (project / "target").mkdir()
    shutil.copy(warehouse.parent / f"target-{warehouse.stem}" / "semantic_manifest.json", project / "target")
    copy = root / warehouse.name   # same file name: the manifest names the database after it
    shutil.copy(warehouse, copy)
    env = {**os.environ, "SCV_WAREHOUSE": str(copy), "DBT_PROFILES_DIR": str(project),
           "SCV_LANDING_PATH": str(built_world[0])}
    return project, copy, env


def mf(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(MF), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)


def query(project: Path, env: dict[str, str], out: Path, *args: str) -> list[dict[str, str]]:
    done = mf(project, env, "query", *args, "--csv", str(out))
    assert done.returncode == 0 and out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    with out.open() as f:
        return list(csv.DictReader(f))


def close(a, b) -> bool:
    return abs(Decimal(str(a or 0)) - Decimal(str(b or 0))) <= Decimal("0.01")


def test_every_metric_validates_against_the_warehouse(semantic_project):
    project, _, env = semantic_project
    done = mf(project, env, "validate-configs")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ERRORS: 0" in done.stdout and "ERRORS: 1" not in done.stdout, done.stdout[-3000:]


def test_order_metrics_equal_the_orders_mart(semantic_project, tmp_path):
    project, warehouse, env = semantic_project
    rows = query(project, env, tmp_path / "orders.csv", "--metrics",
                 "net_revenue,orders,revenue_orders,ordering_customers,average_order_value",
                 "--group-by", "metric_time__month")
    con = duckdb.connect(str(warehouse), read_only=True)
    expected = {str(month)[:10]: values for month, *values in con.execute("""
        select date_trunc('month', ordered_at), sum(net_revenue_reporting), count(*),
               count(*) filter (where is_revenue), count(distinct customer_id)
        from orders group by 1""").fetchall()}
    con.close()
    assert len(rows) == len(expected) > 12
    for row in rows:
        revenue, orders, revenue_orders, customers = expected[row["metric_time__month"][:10]]
        assert close(row["net_revenue"], revenue) and int(row["orders"]) == orders
        assert int(row["revenue_orders"]) == revenue_orders and int(row["ordering_customers"]) == customers
        if revenue_orders:
            assert close(row["average_order_value"], revenue / revenue_orders), row


def test_customer_metrics_and_the_join_to_orders(semantic_project, tmp_path):
    project, warehouse, env = semantic_project
    con = duckdb.connect(str(warehouse), read_only=True)
    new_by_month = {str(m)[:10]: n for m, n in con.execute(
        "select date_trunc('month', first_seen_at), count(*) from customer_360 group by 1").fetchall()}
    total, marketable, last_month = con.execute(
        "select count(*), count(*) filter (where can_email_marketing),"
        " strftime(max(first_seen_at), '%Y-%m-%d') from customer_360").fetchall()[0]
    by_stage = dict(con.execute("""
        select coalesce(c.lifecycle_stage, ''), sum(o.net_revenue_reporting)
        from orders o left join customer_360 c using (customer_id) group by 1""").fetchall())
    con.close()

    rows = query(project, env, tmp_path / "customers.csv", "--metrics",
                 "new_customers,customer_base,email_marketable_customers", "--group-by", "metric_time__month",
                 "--end-time", last_month)
    got = {r["metric_time__month"][:10]: r for r in rows}
    assert {m: int(r["new_customers"]) for m, r in got.items() if r["new_customers"]} == new_by_month
    # the customer base is a running total: its last month holds every customer
    assert int(got[max(got)]["customer_base"]) == total
    assert sum(int(r["email_marketable_customers"] or 0) for r in rows) == marketable

    # order metrics split by a dimension of the customers semantic model (orders -> customer)
    rows = query(project, env, tmp_path / "stages.csv", "--metrics", "net_revenue",
                 "--group-by", "customer__lifecycle_stage")
    assert {r["customer__lifecycle_stage"]: r["net_revenue"] for r in rows}.keys() == by_stage.keys()
    for r in rows:
        assert close(r["net_revenue"], by_stage[r["customer__lifecycle_stage"]]), r


def test_attributed_revenue_shares_out_the_net_revenue(semantic_project, tmp_path):
    project, warehouse, env = semantic_project
    rows = query(project, env, tmp_path / "channels.csv", "--metrics",
                 "attributed_revenue_linear,attributed_revenue_first_touch,attributed_revenue_last_touch",
                 "--group-by", "attribution__channel")
    con = duckdb.connect(str(warehouse), read_only=True)
    by_channel = {c: v for c, v in con.execute(
        "select channel, sum(linear_revenue_reporting) from order_attribution group by 1").fetchall()}
    net_revenue = con.execute("select sum(net_revenue_reporting) from orders").fetchall()[0][0]
    con.close()
    assert {r["attribution__channel"] for r in rows} == set(by_channel) and len(rows) > 2
    for r in rows:
        assert close(r["attributed_revenue_linear"], by_channel[r["attribution__channel"]]), r
    # each model's credits sum to 1 per order: every model hands out exactly the net revenue
    for model in ("linear", "first_touch", "last_touch"):
        assert close(sum(Decimal(r[f"attributed_revenue_{model}"]) for r in rows), net_revenue), model
