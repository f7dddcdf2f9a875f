"""Dagster resources: the DuckDB file and the PRISM source, both read from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import settings, warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file (``PRISM_WAREHOUSE_DB``)."""

    path: str = ""

    def resolved_path(self) -> Path:
        return Path(self.path).resolve() if self.path else settings.warehouse_path()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.resolved_path(), read_only=read_only) as con:
            yield con


class PrismSourceResource(dg.ConfigurableResource):
    """Where the PRISM files come from (``PRISM_SOURCE``): huggingface, synthetic, dir or auto."""

    source: str = ""

    def setting(self) -> str:
        return self.source or settings.prism_source()
