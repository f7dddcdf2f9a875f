"""Ingestion benchmark: the checked raw load of full-scale synthetic PRISM against a bare read.

Both are measured in the same run on the same files, so the ratio (what the checks, rejects and
atomic swap cost on top of reading JSON) is comparable across machines even when seconds are not.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.prism.files import FILE_SPECS
from orchestration.prism.load import load_prism_directory

BENCHMARK = "ingest"


def _read_only_seconds(con: duckdb.DuckDBPyConnection, directory: Path) -> float:
    started = time.perf_counter()
    for spec in FILE_SPECS.values():
        con.execute(
            "SELECT count(*) FROM read_json(?, format = 'newline_delimited', "
            "maximum_object_size = 100000000)",
            [str(directory / spec.filename)],
        ).fetchone()
    return time.perf_counter() - started


def bench(scale: str = "full") -> list[dict[str, object]]:
    """Rows of benchmark, metric, value, unit, note; generation is excluded from the timing."""
    from orchestration.synthetic import generate

    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        directory = Path(tmp) / "prism"
        generate(directory, scale=scale, seed=0)
        size_mb = sum((directory / s.filename).stat().st_size for s in FILE_SPECS.values()) / 1e6

        con = duckdb.connect(str(Path(tmp) / "warehouse.duckdb"))
        con.execute("SET enable_progress_bar = false")
        try:
            read_seconds = _read_only_seconds(con, directory)
            started = time.perf_counter()
            reports = load_prism_directory(con, directory, "synthetic", f"synthetic:{scale}:seed=0")
            load_seconds = time.perf_counter() - started
        finally:
            con.close()

    lines = sum(r.lines_read for r in reports.values())
    rejected = sum(r.rows_rejected for r in reports.values())
    note = f"{scale}-scale synthetic, {lines} lines, {size_mb:.0f} MB, {rejected} rejected"
    rows: list[dict[str, object]] = [
        {
            "benchmark": BENCHMARK,
            "metric": "load_seconds",
            "value": round(load_seconds, 3),
            "unit": "s",
            "note": f"load_prism_directory into a fresh DuckDB file; {note}",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "read_json_seconds",
            "value": round(read_seconds, 3),
            "unit": "s",
            "note": "DuckDB read_json count(*) over the same four files",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "load_to_read_ratio",
            "value": round(load_seconds / read_seconds, 2),
            "unit": "x",
            "note": "checked load time / bare read time, same run",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "lines_per_second",
            "value": round(lines / load_seconds),
            "unit": "lines/s",
            "note": note,
        },
    ]
    rows += [
        {
            "benchmark": BENCHMARK,
            "metric": f"{kind}_load_seconds",
            "value": round(report.seconds, 3),
            "unit": "s",
            "note": f"{report.lines_read} lines",
        }
        for kind, report in reports.items()
    ]
    return rows


if __name__ == "__main__":
    for row in bench():
        print(row)
