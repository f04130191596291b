"""The source YAML is the landing contract of scv/landing.py: same tables, columns, order, types, optionality."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from scv.landing import TABLES

ROOT = Path(__file__).resolve().parents[2]
ARROW_TO_SQL = {pa.string(): "varchar", pa.timestamp("us"): "timestamp", pa.bool_(): "boolean",
                pa.float64(): "double", pa.int64(): "bigint"}


def _declared() -> dict[str, dict]:
    found = {}
    for path in sorted((ROOT / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                found[f"{source['name']}/{table['name']}"] = {"source": source, "table": table, "file": path}
    return found


def test_every_contract_table_is_a_declared_source():
    assert sorted(_declared()) == sorted(t.key for t in TABLES)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.key)
def test_columns_match_the_contract(table):
    declared = _declared()[table.key]["table"]
    columns = declared["columns"]
    assert [c["name"] for c in columns] == [c.name for c in table.columns]
    for yaml_col, col in zip(columns, table.columns):
        assert yaml_col.get("data_type") == ARROW_TO_SQL[col.type], (table.key, col.name)
        optional = (yaml_col.get("meta") or {}).get("optional", False)
        assert optional == (not col.required), (table.key, col.name)
        assert yaml_col.get("description", "").strip(), (table.key, col.name)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.key)
def test_sources_declare_freshness_and_location(table):
    entry = _declared()[table.key]
    config = {**(entry["source"].get("config") or {}), **(entry["table"].get("config") or {})}
    if not any(pa.types.is_timestamp(c.type) for c in table.columns):
        # shop/order_lines carries no timestamp: its freshness follows shop/orders (declared null on purpose)
        assert "freshness" in config and config["freshness"] is None
    else:
        assert config.get("loaded_at_field") or entry["table"].get("loaded_at_field")
        assert config.get("freshness") or entry["source"].get("freshness")
    assert "landing_path" in config.get("external_location", "")
    assert entry["table"].get("description", "").strip()


def test_every_staging_model_and_column_is_documented():
    models = {}
    for path in (ROOT / "models" / "staging").rglob("_*__models.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            models[model["name"]] = model
    sql_models = {p.stem for p in (ROOT / "models" / "staging").rglob("*.sql")}
    assert sql_models <= set(models), sql_models - set(models)
    for name, model in models.items():
        assert model.get("description", "").strip(), name
        if name.startswith("stg_"):
            assert model.get("columns"), name
            for column in model["columns"]:
                assert column.get("description", "").strip(), (name, column["name"])
