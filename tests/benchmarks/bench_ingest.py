"""Ingestion benchmark: the checked raw load of full-scale synthetic PRISM against a bare read.

Both are measured in the same run on the same files, so the ratio (what the checks, rejects and
atomic swap cost on top of reading JSON) is comparable across machines even when seconds are not.
Each side runs in its own child process, so that its peak resident memory (``ru_maxrss``: Python,
Arrow and DuckDB together) is its own and not the generator's. The sides alternate ``REPEATS``
times and the figures are medians: on a shared VM one run of either side varies by 15%.

The load is timed from opening the file to closing it, so that nothing it leaves for later (a
checkpoint of what the commit wrote to the WAL) escapes the clock.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration import warehouse
from orchestration.prism.files import FILE_SPECS
from orchestration.prism.load import LOAD_ROW_GROUP_SIZE, load_prism_directory

BENCHMARK = "ingest"
REPEATS = 3


def _read_only(directory: Path, database: Path) -> dict[str, object]:
    con = duckdb.connect(str(database))
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    for spec in FILE_SPECS.values():
        con.execute(
            "SELECT count(*) FROM read_json(?, format = 'newline_delimited', "
            "maximum_object_size = 100000000)",
            [str(directory / spec.filename)],
        ).fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds}


def _load(directory: Path, database: Path, scale: str) -> dict[str, object]:
    started = time.perf_counter()
    # Opened as the ingest assets open it, in the loader's row groups.
    with warehouse.connect(database, row_group_size=LOAD_ROW_GROUP_SIZE) as con:
        con.execute("SET enable_progress_bar = false")
        reports = load_prism_directory(con, directory, "synthetic", f"synthetic:{scale}:seed=0")
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "files": {
            kind: {"seconds": r.seconds, "lines": r.lines_read, "rejected": r.rows_rejected}
            for kind, r in reports.items()
        },
    }


def _in_child(step: str, directory: Path, database: Path, scale: str) -> dict[str, object]:
    """Run ``step`` in a fresh interpreter; its figures and peak RSS come back as JSON."""
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_ingest", step, str(directory)]
        + [str(database), scale],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.splitlines()[-1])


def bench(scale: str = "full") -> list[dict[str, object]]:
    """Rows of benchmark, metric, value, unit, note; generation is excluded from the timing."""
    from orchestration.synthetic import generate

    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        directory = Path(tmp) / "prism"
        generate(directory, scale=scale, seed=0)
        size_mb = sum((directory / s.filename).stat().st_size for s in FILE_SPECS.values()) / 1e6
        load_before = os.getloadavg()[0]
        reads, loads = [], []
        for repeat in range(REPEATS):
            reads.append(_in_child("read", directory, Path(tmp) / f"read{repeat}.duckdb", scale))
            loads.append(_in_child("load", directory, Path(tmp) / f"load{repeat}.duckdb", scale))
        load_after = os.getloadavg()[0]
    read = _median_run(reads)
    load = _median_run(loads)
    spread = {side: _range(runs) for side, runs in (("load", loads), ("read", reads))}

    files: dict[str, dict[str, float]] = load["files"]  # type: ignore[assignment]
    lines = sum(int(f["lines"]) for f in files.values())
    rejected = sum(int(f["rejected"]) for f in files.values())
    load_seconds = float(load["seconds"])  # type: ignore[arg-type]
    read_seconds = float(read["seconds"])  # type: ignore[arg-type]
    note = f"{scale}-scale synthetic, {lines} lines, {size_mb:.0f} MB, {rejected} rejected"
    machine = (
        f"{os.cpu_count()} cores; 1-min load average {load_before:.1f} before and "
        f"{load_after:.1f} after (above {os.cpu_count()} means the machine was shared)"
    )
    rows: list[dict[str, object]] = [
        {
            "benchmark": BENCHMARK,
            "metric": "load_seconds",
            "value": round(load_seconds, 3),
            "unit": "s",
            "note": f"load_prism_directory into a fresh DuckDB file, open to close; median of "
            f"{REPEATS} (range {spread['load']}); {note}",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "read_json_seconds",
            "value": round(read_seconds, 3),
            "unit": "s",
            "note": f"DuckDB read_json count(*) over the same four files; median of {REPEATS} "
            f"(range {spread['read']})",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "load_to_read_ratio",
            "value": round(load_seconds / read_seconds, 2),
            "unit": "x",
            "note": f"median checked load time / median bare read time, same run; target <= 3; "
            f"{machine}",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "commit_seconds",
            "value": round(load_seconds - sum(float(f["seconds"]) for f in files.values()), 3),
            "unit": "s",
            "note": "load time outside the four file loads (the median run's): opening, the one "
            "commit, where DuckDB compresses and writes what the copies left in part-filled row "
            "groups, and closing (the bare read writes nothing)",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "lines_per_second",
            "value": round(lines / load_seconds),
            "unit": "lines/s",
            "note": note,
        },
        {
            "benchmark": BENCHMARK,
            "metric": "load_peak_rss_mb",
            "value": round(float(load["peak_rss_mb"]), 1),  # type: ignore[arg-type]
            "unit": "MB",
            "note": "peak resident memory of the process that ran the load (ru_maxrss)",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "read_json_peak_rss_mb",
            "value": round(float(read["peak_rss_mb"]), 1),  # type: ignore[arg-type]
            "unit": "MB",
            "note": "peak resident memory of the process that ran the bare read (ru_maxrss)",
        },
    ]
    rows += [
        {
            "benchmark": BENCHMARK,
            "metric": f"{kind}_load_seconds",
            "value": round(float(figures["seconds"]), 3),
            "unit": "s",
            "note": f"{int(figures['lines'])} lines",
        }
        for kind, figures in files.items()
    ]
    return rows


def _median_run(runs: list[dict[str, object]]) -> dict[str, object]:
    """The run of median time, whose other figures (per-file seconds, memory) go with it."""
    return sorted(runs, key=lambda run: float(run["seconds"]))[len(runs) // 2]  # type: ignore[arg-type]


def _range(runs: list[dict[str, object]]) -> str:
    seconds = [float(run["seconds"]) for run in runs]  # type: ignore[arg-type]
    return f"{min(seconds):.3f}-{max(seconds):.3f} s"


def _child(step: str, directory: str, database: str, scale: str) -> None:
    if step == "read":
        figures = _read_only(Path(directory), Path(database))
    else:
        figures = _load(Path(directory), Path(database), scale)
    # Linux reports ru_maxrss in KiB.
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


if __name__ == "__main__":
    if len(sys.argv) == 5:
        _child(*sys.argv[1:])
    else:
        for row in bench():
            print(row)
