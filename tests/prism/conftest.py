"""Fixtures for the raw PRISM layer: the tiny hand-made PRISM and a fresh DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.prism.tiny import write_tiny


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "tiny"
    write_tiny(directory)
    return directory


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()
