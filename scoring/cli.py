"""Command line for scoring without Dagster: ``python -m scoring.cli score|import ...``.

The one module of ``scoring`` that is an application rather than a library: like the Dagster
code location, it takes ``PERSPECTIVE_API_KEY``, ``PERSPECTIVE_QPS``, ``PERSPECTIVE_API_URL``
and ``PRISM_WAREHOUSE_DB`` from ``orchestration.settings`` (plain Python, no Dagster), so the
command and the pipeline resolve the same variables to the same defaults and the same DuckDB
file. ``--db`` and ``--qps`` override them; the key is never accepted as an argument, so it
cannot land in shell history or a process list.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from orchestration import settings
from scoring.attributes import PAPER_ATTRIBUTES
from scoring.importers import import_scores
from scoring.pacing import RetryPolicy
from scoring.runner import ScoringConfig, run_scoring
from scoring.store import ScoreStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoring.cli")
    parser.add_argument("--db", type=Path, default=None, help="default: PRISM_WAREHOUSE_DB")
    commands = parser.add_subparsers(dest="command", required=True)

    score = commands.add_parser("score", help="score pending texts with Perspective")
    score.add_argument("--attributes", default=",".join(PAPER_ATTRIBUTES))
    score.add_argument("--qps", type=float, default=None, help="default: PERSPECTIVE_QPS")
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
    db = args.db or settings.warehouse_path()
    with ScoreStore.open(db) as store:
        if args.command == "import":
            report = import_scores(store, args.file, args.name)
            print(report)
            return 0
        config = ScoringConfig(
            attributes=tuple(a for a in args.attributes.split(",") if a),
            base_url=settings.perspective_api_url(),
            qps=args.qps if args.qps is not None else settings.perspective_qps(),
            concurrency=args.concurrency,
            max_requests=args.max_requests,
            oversize=args.oversize,
            language=args.language,
            retry=RetryPolicy(initial_wait=args.initial_wait),
            progress_interval=args.progress_interval,
        )
        key = settings.perspective_api_key()
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
