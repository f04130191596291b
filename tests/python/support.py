"""Helpers shared by the tests: run the dbt CLI of this environment against a temp warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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
