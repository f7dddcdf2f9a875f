"""`make bench`: runs every benchmark module's ``bench()`` and writes the table to results.md.

Each module returns rows ``{"benchmark", "metric", "value", "unit", "note"}``. Figures are taken
in one run on one machine, so the ratios inside a benchmark are comparable; absolute seconds are
only indicative of this machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
import traceback
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")
MODULES = ("bench_ingest", "bench_dbt", "bench_scoring", "bench_stan")


def _format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=list(MODULES), help="benchmark modules to run")
    args = parser.parse_args(argv)

    rows: list[dict[str, object]] = []
    failures: list[str] = []
    for name in args.only:
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"tests.benchmarks.{name}")
            rows.extend(module.bench())
        except Exception:  # noqa: BLE001 - one failing benchmark must not hide the others' figures
            failures.append(name)
            traceback.print_exc()

    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| benchmark | metric | value | unit | note |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['benchmark']} | {row['metric']} | {_format_value(row['value'])} | "
            f"{row.get('unit', '')} | {row.get('note', '')} |"
        )
    if failures:
        lines += ["", f"Failed (see the console): {', '.join(failures)}"]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(RESULTS.read_text())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
