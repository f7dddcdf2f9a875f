"""The environment variables every layer reads, resolved in one place.

Dagster, dbt (through ``profiles.yml``) and the CLIs all read the same variables, so a path set
once applies everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Where downloads, the DuckDB file and fit outputs live (git-ignored)."""
    return Path(os.environ.get("PRISM_DATA_DIR", REPO_ROOT / "data")).resolve()


def warehouse_path() -> Path:
    """The DuckDB file: ``PRISM_WAREHOUSE_DB``, default ``data/warehouse.duckdb``."""
    default = data_dir() / "warehouse.duckdb"
    return Path(os.environ.get("PRISM_WAREHOUSE_DB", default)).resolve()


def prism_source() -> str:
    """``huggingface``, ``synthetic``, a directory, or ``auto`` (Hugging Face when reachable)."""
    return os.environ.get("PRISM_SOURCE", "auto").strip() or "auto"
