"""Warehouses built by `dbt build` over the project's own raw loader and score importer.

Two datasets: the session's small synthetic PRISM (`small_prism_dir`) and a tiny hand-shaped
one with planted edge cases (`tiny_prism.py`). Each is loaded into a fresh DuckDB file, its
score file imported as scorer `imported:synthetic`, and then `dbt build` runs once per session.
dbt runs in a subprocess so that `PRISM_WAREHOUSE_DB` and the target directory stay per build,
and so that the repository's own `target/` is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_project import AFTER_TOPICS
from orchestration.prism.load import load_prism_directory
from scoring.importers import import_scores
from scoring.store import ScoreStore

from .tiny_prism import write_tiny_prism

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")


@dataclass(frozen=True)
class BuiltWarehouse:
    """A DuckDB file after `dbt build`, with the directories the build used."""

    db_path: Path
    prism_dir: Path
    target_dir: Path
    run_results: dict

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.db_path), read_only=True)


def run_dbt(
    args: list[str], db_path: Path, work_dir: Path, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the dbt CLI on the project against `db_path`, with logs and target in `work_dir`."""
    env = {**os.environ, "PRISM_WAREHOUSE_DB": str(db_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(REPO_ROOT),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-6000:]}"
        )
    return result


def load_raw(db_path: Path, prism_dir: Path, revision: str) -> None:
    """Raw PRISM tables through the project's loader, scores through its importer."""
    con = duckdb.connect(str(db_path))
    try:
        load_prism_directory(con, prism_dir, "synthetic", revision)
    finally:
        con.close()
    with ScoreStore.open(db_path) as store:
        import_scores(store, prism_dir / "perspective_scores.csv", "synthetic")


def build_warehouse(prism_dir: Path, work_dir: Path, revision: str) -> BuiltWarehouse:
    db_path = work_dir / "warehouse.duckdb"
    load_raw(db_path, prism_dir, revision)
    # The topic mart reads a table the Python topic asset writes: built by Dagster after it.
    run_dbt(["build", "--exclude", AFTER_TOPICS], db_path, work_dir)
    run_results = json.loads((work_dir / "target" / "run_results.json").read_text())
    return BuiltWarehouse(db_path, prism_dir, work_dir / "target", run_results)


@pytest.fixture(scope="session")
def small_warehouse(small_prism_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    return build_warehouse(
        small_prism_dir, tmp_path_factory.mktemp("dbt_small"), "synthetic:small:seed=0"
    )


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory):
    prism_dir = write_tiny_prism(tmp_path_factory.mktemp("prism_tiny")).directory
    return build_warehouse(prism_dir, tmp_path_factory.mktemp("dbt_tiny"), "tiny:seed=0")
