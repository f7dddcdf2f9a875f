"""Opening the DuckDB file from any process without tripping over its single-writer lock.

DuckDB lets one process write a file at a time. Dagster serialises writers with the
``duckdb_writer`` pool, but a second run started by hand, a notebook or ``make run`` beside the
UI can still hold the file for a moment; waiting a little is kinder than failing the step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

LOCK_WAIT_SECONDS = 120.0


def _is_lock_conflict(error: duckdb.Error) -> bool:
    message = str(error)
    return "lock" in message.lower() and (
        "conflict" in message.lower() or "could not set" in message.lower()
    )


@contextmanager
def connect(
    path: Path, read_only: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to ``path``, waiting up to ``wait_seconds`` for another process's lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as error:
            if not _is_lock_conflict(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
    try:
        yield con
    finally:
        con.close()
