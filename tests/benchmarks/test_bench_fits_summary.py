"""bench_fits' side-by-side section: one line per fit and variant, every metric in its column."""

from __future__ import annotations

from tests.benchmarks.bench_fits import SUMMARY_METRICS, summary


def test_summary_puts_each_variant_of_a_fit_on_its_own_line() -> None:
    rows = [
        {"benchmark": "fits/log_score__all", "metric": f"{name} [{variant}]", "value": value}
        for variant, value in (("before (abc)", 2.0), ("now", 0.5))
        for name, _, _ in SUMMARY_METRICS
    ]
    lines = summary(rows).splitlines()
    body = [line for line in lines if line.startswith("| log_score__all")]
    assert len(body) == 2
    before, now = (line.split(" | ") for line in body)
    assert before[1] == "before (abc)" and now[1] == "now"
    assert before[2] == "2" and now[2] == "0"  # sampling seconds, no decimals
    assert now[5] == "50%"  # warmup share
