"""The files every fit reads instead of the DuckDB file: the fit inputs and the paper's estimates.

A fit samples for minutes; reading a Parquet export keeps it out of DuckDB's single-writer lock
(and out of the ``duckdb_writer`` pool), so other assets can write while fits run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

FIT_INPUTS_TABLE = "marts.fct_fit_inputs"
PAPER_ESTIMATES_TABLE = "marts.paper_estimates"


@dataclass(frozen=True)
class SnapshotFiles:
    """Where one snapshot lives; its rows file's modification time dates the snapshot."""

    directory: Path

    @property
    def rows(self) -> Path:
        return self.directory / "model_snapshot.parquet"

    @property
    def paper_estimates(self) -> Path:
        return self.directory / "paper_estimates.parquet"


def export_snapshot(con: duckdb.DuckDBPyConnection, files: SnapshotFiles) -> None:
    """Copy the fit inputs and the paper's estimates to Parquet, each replaced atomically.

    The rows file is written last: the fits and the summary asset date a snapshot by it.
    """
    files.directory.mkdir(parents=True, exist_ok=True)
    exports = (
        (files.paper_estimates, f"select * from {PAPER_ESTIMATES_TABLE}"),
        (files.rows, f"select * from {FIT_INPUTS_TABLE} order by utterance_id"),
    )
    for path, query in exports:
        partial = path.with_suffix(".parquet.partial")
        con.execute(f"copy ({query}) to '{partial}' (format parquet)")
        partial.replace(path)
