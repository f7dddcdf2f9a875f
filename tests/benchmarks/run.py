"""`make bench`: runs every benchmark module's ``bench()`` and writes the table to results.md.

Each module returns rows ``{"benchmark", "metric", "value", "unit", "note"}``. Figures are taken
in one run on one machine, so the ratios inside a benchmark are comparable; absolute seconds are
only indicative of this machine. ``--only`` reruns some modules and keeps the others' last rows
(``results.json``), each module stamped with when it ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
import traceback
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")
STORE = Path(__file__).with_name("results.json")
MODULES = (
    "bench_ingest",
    "bench_dbt",
    "bench_scoring",
    "bench_stan",
    "bench_fits",
    "bench_suite",
    "bench_case_studies",
    "bench_choice",
    "bench_bounded",
    "bench_sbc",
    "bench_sbc_bounded",
)


def _format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=list(MODULES), help="benchmark modules to run")
    args = parser.parse_args(argv)

    store: dict[str, dict[str, object]] = json.loads(STORE.read_text()) if STORE.exists() else {}
    failures: list[str] = []
    for name in args.only:
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"tests.benchmarks.{name}")
            rows = module.bench()
            summary = module.summary(rows) if hasattr(module, "summary") else None
        except Exception:  # noqa: BLE001 - one failing benchmark must not hide the others' figures
            failures.append(name)
            traceback.print_exc()
            continue
        ran_at = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
        store[name] = {"ran_at": ran_at, "rows": rows}
        if summary:
            store[name]["summary"] = summary
    STORE.write_text(json.dumps(store, indent=1, default=str) + "\n")

    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench`; {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Each module's figures come from one run, at the "
        "time shown beside it.",
        "",
        "| benchmark | metric | value | unit | note |",
        "|---|---|---|---|---|",
    ]
    for name in MODULES:
        if name not in store:
            continue
        for row in store[name]["rows"]:
            lines.append(
                f"| {row['benchmark']} | {row['metric']} | {_format_value(row['value'])} | "
                f"{row.get('unit', '')} | {row.get('note', '')} (run {store[name]['ran_at']}) |"
            )
    # A module may add a section of its own below the table (a side-by-side view, say).
    for name in MODULES:
        if name in store and store[name].get("summary"):
            lines += ["", str(store[name]["summary"]).rstrip(), f"(run {store[name]['ran_at']})"]
    if failures:
        lines += ["", f"Failed (see the console): {', '.join(failures)}"]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(RESULTS.read_text())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
