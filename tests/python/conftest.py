"""Shared fixtures: small generated worlds and a helper that runs dbt against a temp warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import DbtResult, run_dbt  # noqa: E402


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> Path:
    """A 1,500-person world (seed 7), generated once per test session."""
    from scv.synthetic import WorldConfig, generate

    out = tmp_path_factory.mktemp("world") / "landing"
    generate(out, WorldConfig(persons=1500, seed=7, chunk_size=750, progress=False, workers=1))
    return out


@pytest.fixture(scope="session")
def built_world(small_world: Path, tmp_path_factory) -> tuple[Path, Path, DbtResult]:
    """The small world built with `dbt build`: (landing, warehouse, result)."""
    warehouse = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    result = run_dbt(["build"], small_world, warehouse)
    return small_world, warehouse, result
