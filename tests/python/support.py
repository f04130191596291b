"""Helpers shared by the tests: run dbt on the project against a temp warehouse.

dbt runs in the test process through its programmatic entry point (`dbtRunner`), and the parsed
project (the manifest) is kept per landing folder, project, `--vars` and warehouse file name: a
fresh `dbt` process per call spent about 9 s importing dbt and parsing 490 nodes before doing
anything. The warehouse's folder is not part of the manifest (the path is read from the profile on
every call; only the file name is, as the database name), so one parse serves every same-named copy
of a warehouse built from the same landing folder.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_MANIFESTS: dict[tuple[str, str, str | None, str], object] = {}


@dataclass
class DbtResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@contextmanager
def _environment(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _close_warehouse() -> None:
    """Close dbt-duckdb's process-wide DuckDB connection, so the test (or the next call, on another
    warehouse) can open the file. dbt drops its reference at the end of a run but does not close it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _invoke(args: list[str], manifest=None) -> tuple[object, str]:
    """One dbt invocation; returns (dbtRunnerResult, the console lines at info level and above)."""
    from dbt.cli.main import dbtRunner

    lines: list[str] = []

    def collect(event) -> None:
        if event.info.level != "debug":
            lines.append(event.info.msg)

    try:
        res = dbtRunner(manifest=manifest, callbacks=[collect]).invoke(args)
    finally:
        _close_warehouse()
    if res.exception is not None:
        lines.append(f"{type(res.exception).__name__}: {res.exception}")
    return res, "\n".join(lines)


def run_dbt(args: list[str], landing: Path, warehouse: Path, extra_vars: str | None = None,
            project: Path = ROOT) -> DbtResult:
    """Run dbt `args` on `project`, reading `landing` and building into `warehouse`."""
    target = warehouse.parent / f"target-{warehouse.stem}"
    common = ["--project-dir", str(project), "--target-path", str(target),
              "--log-path", str(warehouse.parent / "logs")]
    if extra_vars:
        common += ["--vars", extra_vars]
    # dbt-duckdb names the database after the file, and the manifest holds each node's database
    key = (str(landing), str(project), extra_vars, warehouse.stem)
    with _environment(SCV_LANDING_PATH=str(landing), SCV_WAREHOUSE=str(warehouse), DBT_PROFILES_DIR=str(project)):
        output = ""
        if key not in _MANIFESTS:
            parsed, output = _invoke(["parse", *common])
            if not parsed.success:
                return DbtResult(2, output)
            _MANIFESTS[key] = parsed.result
        res, run_output = _invoke([*args, *common], manifest=_MANIFESTS[key])
    returncode = 0 if res.success else (2 if res.exception is not None else 1)
    return DbtResult(returncode, output + "\n" + run_output)
