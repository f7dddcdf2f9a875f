"""Opening the warehouse file: a loading connection's row group size, and waiting for a lock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration import warehouse


def test_a_row_group_size_keeps_the_catalog_name_and_applies_to_what_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "my warehouse.duckdb"
    with warehouse.connect(path, row_group_size=2048) as con:
        con.execute("CREATE TABLE t AS SELECT range AS n FROM range(5000)")
        con.execute("CHECKPOINT")
        assert con.execute("SELECT current_database()").fetchone() == ("my warehouse",)
        (groups,) = con.execute(
            "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('t')"
        ).fetchone()
    assert groups == 3
    # A plain connection reads the same file under the same name.
    with warehouse.connect(path, read_only=True) as con:
        assert con.execute('SELECT count(*) FROM "my warehouse".main.t').fetchone() == (5000,)


@pytest.mark.parametrize("row_group_size", [None, 2048])
def test_a_lock_held_by_another_process_is_waited_for(
    tmp_path: Path, row_group_size: int | None
) -> None:
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
            "print('held', flush=True); time.sleep(1.5)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with (
        pytest.raises(duckdb.IOException, match="lock"),
        warehouse.connect(path, wait_seconds=0, row_group_size=row_group_size),
    ):
        pass
    started = time.monotonic()
    with warehouse.connect(path, wait_seconds=30, row_group_size=row_group_size) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)
    assert holder.wait() == 0
    assert time.monotonic() - started < 30
