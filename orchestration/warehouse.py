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
    path: Path,
    read_only: bool = False,
    wait_seconds: float = LOCK_WAIT_SECONDS,
    row_group_size: int | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to ``path``, waiting up to ``wait_seconds`` for another process's lock.

    ``row_group_size`` (a multiple of 2,048) sets the rows per row group of what this connection
    writes; the file's catalog keeps its usual name (the file's stem), so queries read the same.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            con = _open(path, read_only, row_group_size)
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


def _open(path: Path, read_only: bool, row_group_size: int | None) -> duckdb.DuckDBPyConnection:
    if row_group_size is None:
        return duckdb.connect(str(path), read_only=read_only)
    # The row group size is an option of ATTACH only, so the file is attached to an in-memory
    # database under the name a plain connect would give it, and made the default.
    con = duckdb.connect()
    try:
        options = f"ROW_GROUP_SIZE {int(row_group_size)}" + (", READ_ONLY" if read_only else "")
        con.execute(f"ATTACH {_literal(str(path))} AS {_identifier(path.stem)} ({options})")
        con.execute(f"USE {_identifier(path.stem)}")
    except BaseException:
        con.close()
        raise
    return con


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
