"""`python -m orchestration.synthetic --out DIR --scale full|small --seed N [--truth FILE]`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .generator import generate
from .truth import PRESETS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.synthetic",
        description="Write a synthetic PRISM dataset with a planted, documented truth.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--scale", choices=("full", "small"), default="full")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--truth",
        default=None,
        help=f"a preset ({', '.join(PRESETS)}; default paper) or a path to a truth JSON file",
    )
    parser.add_argument(
        "--null-instead-of-nan",
        action="store_true",
        help="write null instead of the bare NaN token for metadata pii_manual_flag",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    try:
        report = generate(
            args.out,
            scale=args.scale,
            seed=args.seed,
            truth=args.truth,
            nan_token=not args.null_instead_of_nan,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{k} {v:,}" for k, v in report.counts.items())
    elapsed = time.perf_counter() - started
    print(f"{report.dataset_revision} ({report.truth_preset}) -> {report.out_dir}")
    print(f"{counts} [{elapsed:.1f}s]")
    return 0
