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


def prism_reject_threshold() -> float:
    """``PRISM_REJECT_THRESHOLD``: refuse a PRISM file when more than this share of its lines is
    rejected (a file from which nothing loads is always refused); default
    ``orchestration.prism.refusal.DEFAULT_REJECT_THRESHOLD`` (0.9)."""
    from orchestration.prism.refusal import DEFAULT_REJECT_THRESHOLD, check_threshold

    text = os.environ.get("PRISM_REJECT_THRESHOLD", "").strip()
    if not text:
        return DEFAULT_REJECT_THRESHOLD
    try:
        return check_threshold(float(text))
    except ValueError as error:
        raise ValueError(f"PRISM_REJECT_THRESHOLD={text!r}: {error}") from None
