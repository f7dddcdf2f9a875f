"""Simulation-based calibration of the bounded nested programs, with histograms.

The test suite runs 30 replications of each on a tiny design (`tests/modeling/test_bounded.py`);
this runs `REPLICATIONS` of ``rounded_loglogistic_nested`` (on 1b's all-data terms) and
``beta_nested`` (on the compassion mirroring fit's terms), on the same PRISM-shaped design of 15
participants and 60 conversations, with the priors narrowed to the data's scale as in the test
(b ~ normal(0, 1), every sd ~ half student_t(3, 0, 0.5)). Per parameter it reports the
chi-square p-value of its ranks' uniformity over 10 bins; the histograms go to
``tests/benchmarks/sbc_bounded.png`` (a calibrated program shows flat bars within the grey band,
the 99% range of a bin count under uniformity).

Run: ``make bench BENCH=bench_sbc_bounded`` or
``.venv/bin/python -m tests.benchmarks.bench_sbc_bounded``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from orchestration.modeling.data import NestedData, build_fit_data
from orchestration.modeling.specs import log_score_rounded_specs, mirroring_beta_specs
from tests.benchmarks.bench_sbc import BINS, PROFILE, plot_ranks
from tests.modeling.sbc import RANK_DRAWS, nested_sbc_ranks, uniformity_p_values
from tests.modeling.simulate import simulate_snapshot

REPLICATIONS = 100
FIGURE = Path(__file__).with_name("sbc_bounded.png")
PROGRAMS = {
    "rounded_loglogistic": ("rounded_loglogistic_nested", log_score_rounded_specs()[0]),
    "beta": ("beta_nested", mirroring_beta_specs()[2]),
}


def _record(spec: object) -> NestedData:
    snapshot = simulate_snapshot(n_users=15, n_conversations=60, seed=5)
    return replace(build_fit_data(snapshot, spec).stan, prior_b_sd=1.0, prior_scale=0.5)


def bench(replications: int = REPLICATIONS) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    ranks: dict[str, pd.DataFrame] = {}
    for label, (program, spec) in PROGRAMS.items():
        frame = nested_sbc_ranks(_record(spec), program, replications, PROFILE, seed=11)
        ranks[label] = frame
        for parameter, p_value in uniformity_p_values(frame, bins=BINS).items():
            rows.append(
                {
                    "benchmark": f"sbc/{label}",
                    "metric": f"uniformity_p:{parameter}",
                    "value": float(p_value),
                    "unit": "",
                    "note": f"chi-square, {BINS} bins, {replications} ranks of 0..{RANK_DRAWS}",
                }
            )
    plot_ranks(ranks, FIGURE)
    return rows


if __name__ == "__main__":
    for row in bench():
        print(row)
