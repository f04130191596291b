"""Shared fixtures: small generated worlds and a helper that runs dbt against a temp warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class DbtResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_dbt(args: list[str], landing: Path, warehouse: Path, extra_vars: str | None = None) -> DbtResult:
    """Run the dbt CLI of this environment on the project, against `landing` and `warehouse`."""
    env = dict(os.environ, SCV_LANDING_PATH=str(landing), SCV_WAREHOUSE=str(warehouse), DBT_PROFILES_DIR=str(ROOT))
    target = warehouse.parent / f"target-{warehouse.stem}"
    cmd = [str(BIN / "dbt"), *args, "--project-dir", str(ROOT), "--target-path", str(target),
           "--log-path", str(warehouse.parent / "logs")]
    if extra_vars:
        cmd += ["--vars", extra_vars]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    return DbtResult(proc.returncode, proc.stdout + proc.stderr)


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
