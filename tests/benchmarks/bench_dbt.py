"""dbt benchmark: `dbt build` (models, seeds, data and unit tests) over full-scale synthetic PRISM.

The raw load of the same files is timed in the same run, so the ratio build / load is comparable
across machines even when seconds are not. Generation and the score import are excluded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration import warehouse
from orchestration.dbt_project import AFTER_TOPICS
from orchestration.prism.load import LOAD_ROW_GROUP_SIZE, load_prism_directory
from scoring.importers import import_scores
from scoring.store import ScoreStore

BENCHMARK = "dbt"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _dbt_build(db_path: Path, work_dir: Path) -> tuple[float, dict]:
    env = {**os.environ, "PRISM_WAREHOUSE_DB": str(db_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--exclude",
        AFTER_TOPICS,
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(REPO_ROOT),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"dbt build failed ({result.returncode}):\n{result.stdout[-4000:]}")
    return seconds, json.loads((work_dir / "target" / "run_results.json").read_text())


def bench(scale: str = "full") -> list[dict[str, object]]:
    """Rows of benchmark, metric, value, unit, note."""
    from orchestration.synthetic import generate

    with tempfile.TemporaryDirectory(prefix="bench_dbt_") as tmp:
        work = Path(tmp)
        directory = work / "prism"
        generate(directory, scale=scale, seed=0)
        db_path = work / "warehouse.duckdb"

        # Opened as the ingest assets open it, and timed from opening to closing (bench_ingest).
        started = time.perf_counter()
        with warehouse.connect(db_path, row_group_size=LOAD_ROW_GROUP_SIZE) as con:
            load_prism_directory(con, directory, "synthetic", f"synthetic:{scale}:seed=0")
        load_seconds = time.perf_counter() - started
        with ScoreStore.open(db_path) as store:
            import_scores(store, directory / "perspective_scores.csv", "synthetic")

        build_seconds, run_results = _dbt_build(db_path, work)
        with duckdb.connect(str(db_path), read_only=True) as con:
            n_responses = con.execute("select count(*) from marts.fct_responses").fetchone()[0]
            n_english, n_conversations = con.execute(
                "select count(*) filter (where is_english_conversation), count(*) "
                "from marts.fct_conversations"
            ).fetchone()

    kinds: dict[str, int] = {}
    for result in run_results["results"]:
        kind = result["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    nodes = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items()))
    dbt_seconds = sum(r["execution_time"] for r in run_results["results"])
    return [
        {
            "benchmark": BENCHMARK,
            "metric": "build_seconds",
            "value": round(build_seconds, 2),
            "unit": "s",
            "note": f"`dbt build` wall time incl. dbt start-up and parse; {scale}-scale synthetic, "
            f"{n_responses} responses; {nodes}",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "node_seconds",
            "value": round(dbt_seconds, 2),
            "unit": "s",
            "note": "sum of per-node execution times (4 threads, so above the busy wall time)",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "raw_load_seconds",
            "value": round(load_seconds, 2),
            "unit": "s",
            "note": "load_prism_directory of the same files into a fresh DuckDB file",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "build_to_load_ratio",
            "value": round(build_seconds / load_seconds, 2),
            "unit": "x",
            "note": "dbt build wall time / raw load time, same run",
        },
        {
            "benchmark": BENCHMARK,
            "metric": "english_conversations",
            "value": n_english,
            "unit": "conversations",
            "note": f"kept by the default `majority` English rule, of {n_conversations}",
        },
    ]


if __name__ == "__main__":
    for row in bench(sys.argv[1] if len(sys.argv) > 1 else "full"):
        print(row)
