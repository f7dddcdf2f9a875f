"""Simulation-based calibration of ``stan/conditional_logit.stan``, with histograms.

The test suite runs 30 replications of the mixed logit on a tiny design
(`tests/modeling/test_choice.py`); this runs `REPLICATIONS` of both the plain conditional logit
and the mixed logit on the same PRISM-shaped design (15 participants, 60 conversations), and
reports per parameter the chi-square p-value of its ranks' uniformity over 10 bins. The rank
histograms go to ``tests/benchmarks/sbc_conditional_logit.png``; a calibrated program shows flat
bars within the grey band (the 99% range of a bin count under uniformity).

Run: ``make bench BENCH=bench_sbc`` or ``.venv/bin/python -m tests.benchmarks.bench_sbc``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from orchestration.modeling.choice import ChoiceData, build_choice_data
from orchestration.modeling.engine import SamplingProfile
from orchestration.modeling.specs import top_choice_mixed_spec, top_choice_specs
from tests.modeling.sbc import RANK_DRAWS, sbc_ranks, uniformity_p_values
from tests.modeling.simulate import simulate_snapshot

REPLICATIONS = 200
BINS = 10
PROFILE = SamplingProfile("sbc", chains=2, warmup=200, draws=200, adapt_delta=0.95)
FIGURE = Path(__file__).with_name("sbc_conditional_logit.png")


def _record(mixed: bool) -> ChoiceData:
    snapshot = simulate_snapshot(n_users=15, n_conversations=60, seed=5)
    spec = top_choice_mixed_spec() if mixed else top_choice_specs()[0]
    record = build_choice_data(snapshot, spec).stan
    assert isinstance(record, ChoiceData)
    return replace(record, prior_scale=1.0)


def plot_ranks(ranks: dict[str, pd.DataFrame], figure: Path) -> None:
    """One row of rank histograms per program, one panel per parameter, to `figure`."""
    names = {label: sorted(frame["parameter"].unique()) for label, frame in ranks.items()}
    columns = max(len(n) for n in names.values())
    fig = Figure(figsize=(1.9 * columns, 2.0 * len(ranks)))
    axes = fig.subplots(len(ranks), columns, squeeze=False)
    edges = np.linspace(0, RANK_DRAWS + 1, BINS + 1)
    for row, (label, frame) in enumerate(ranks.items()):
        n = frame["replication"].nunique()
        low, high = stats.binom.ppf([0.005, 0.995], n, 1 / BINS)
        for column, ax in enumerate(axes[row]):
            if column >= len(names[label]):
                ax.set_axis_off()
                continue
            parameter = names[label][column]
            ax.axhspan(low, high, color="0.85")
            ax.hist(
                frame.loc[frame["parameter"] == parameter, "rank"], bins=edges, color="tab:blue"
            )
            ax.set_title(f"{label}: {parameter}", fontsize=7)
            ax.set_xticks([])
            ax.tick_params(labelsize=6)
    fig.tight_layout()
    fig.savefig(figure, dpi=80)


def bench(replications: int = REPLICATIONS) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    ranks: dict[str, pd.DataFrame] = {}
    for label, mixed in (("conditional", False), ("mixed", True)):
        frame = sbc_ranks(_record(mixed), replications, PROFILE, seed=11)
        ranks[label] = frame
        p_values = uniformity_p_values(frame, bins=BINS)
        for parameter, p_value in p_values.items():
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
