"""Command line for scoring without Dagster: ``python -m scoring.cli score|import ...``.

``score`` reads ``PERSPECTIVE_API_KEY``, ``PERSPECTIVE_QPS`` and ``PERSPECTIVE_API_URL`` from
the environment (the key is never accepted as an argument, so it cannot land in shell history
or a process list) and ``PRISM_WAREHOUSE_DB`` for the database unless ``--db`` is given.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from scoring.attributes import PAPER_ATTRIBUTES
from scoring.importers import import_scores
from scoring.pacing import RetryPolicy
from scoring.runner import ScoringConfig, run_scoring
from scoring.store import ScoreStore


def _default_db() -> Path:
    configured = os.environ.get("PRISM_WAREHOUSE_DB")
    return Path(configured) if configured else Path("data") / "warehouse.duckdb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoring.cli")
    parser.add_argument("--db", type=Path, default=None, help="DuckDB file")
    commands = parser.add_subparsers(dest="command", required=True)

    score = commands.add_parser("score", help="score pending texts with Perspective")
    score.add_argument("--attributes", default=",".join(PAPER_ATTRIBUTES))
    score.add_argument("--qps", type=float, default=None, help="default: PERSPECTIVE_QPS or 1")
    score.add_argument("--concurrency", type=int, default=None)
    score.add_argument("--max-requests", type=int, default=None)
    score.add_argument("--oversize", choices=("truncate", "skip"), default="truncate")
    score.add_argument(
        "--language", choices=("per_language", "force_english"), default="per_language"
    )
    score.add_argument("--initial-wait", type=float, default=1.0, help="first backoff, seconds")
    score.add_argument("--progress-interval", type=float, default=10.0)

    imp = commands.add_parser("import", help="import a score file as imported:<name>")
    imp.add_argument("file", type=Path)
    imp.add_argument("--name", required=True)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # httpx logs one line per request at INFO, which would bury the progress lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    db = args.db or _default_db()
    with ScoreStore.open(db) as store:
        if args.command == "import":
            report = import_scores(store, args.file, args.name)
            print(report)
            return 0
        overrides: dict[str, object] = {
            "attributes": tuple(a for a in args.attributes.split(",") if a),
            "concurrency": args.concurrency,
            "max_requests": args.max_requests,
            "oversize": args.oversize,
            "language": args.language,
            "retry": RetryPolicy(initial_wait=args.initial_wait),
            "progress_interval": args.progress_interval,
        }
        if args.qps is not None:
            overrides["qps"] = args.qps
        config = ScoringConfig.from_env(**overrides)
        key = os.environ.get("PERSPECTIVE_API_KEY") or None
        if key is None:
            print("PERSPECTIVE_API_KEY is not set; nothing can be scored", file=sys.stderr)
            return 2
        report = run_scoring(store, key, config)
    print(report.progress.summary())
    if report.aborted:
        print(f"stopped: {report.aborted}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
