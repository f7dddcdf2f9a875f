"""Stan layer benchmarks at PRISM's full scale: wall time, coefficient ESS per second and
parameter recovery per analysis and engine, and the marginal vs direct Gaussian speed-up.

Outcomes are simulated from the programs' own models with planted, paper-like coefficients on
the covariate structure of a snapshot (a PRISM-shaped synthetic one by default: 1,396
participants, 8,011 conversations, about 68,000 responses, 21 LLMs; or a parquet snapshot of
``marts.fct_responses`` + moderators), so recovery is measurable on real structure too.

Run: ``.venv/bin/python -m tests.benchmarks.bench_stan [snapshot.parquet]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd

from orchestration.modeling.data import build_fit_data
from orchestration.modeling.engine import (
    Engine,
    SampleResult,
    SamplingProfile,
    cmdstan_available,
    sample,
)
from orchestration.modeling.inits import initial_values
from orchestration.modeling.specs import (
    AnalysisSpec,
    log_score_specs,
    mirroring_specs,
    moderation_spec,
    top_scored_specs,
    toxicity_interaction_spec,
)
from tests.modeling.simulate import PRISM_SCALE, Truth, simulate_outcome, simulate_snapshot

BENCH_PROFILE = SamplingProfile("bench", chains=2, warmup=300, draws=300, seed=11)

# Planted truths: the paper's all-data estimates (Tables 2-4) where it reports them.
_B_1A = [0.729, 0.129, -0.097, 0.324, 1.036, -0.441, -0.095]
_B_1B = [-0.659, -0.023, 0.176, -0.159, 1.217, -0.650, -0.057]
_MODERATION = [  # Table 3 by moderator (younger, male, white, high_values), attribute order
    [-0.864, -0.030, 0.136, 0.162, 0.088, -0.318, 0.034],
    [0.037, 0.105, -0.074, 0.015, 0.134, -0.104, -0.094],
    [-0.625, 0.001, -0.029, -0.086, 0.305, -0.143, 0.072],
    [0.202, 0.235, 0.026, 0.220, -0.294, -0.091, -0.096],
]
_B_3_COMPASSION = [0.288, 0.056, 1.084, 0.034, -0.362, 0.045, -0.458]


def cases() -> list[tuple[AnalysisSpec, Truth]]:
    moderation_b = [*_B_1B, 0.05, -0.05, 0.02, 0.03, *np.ravel(_MODERATION)]
    return [
        (top_scored_specs()[0], Truth(-1.0, np.array(_B_1A), 0.3, 0.4, 0.4)),
        (log_score_specs()[0], Truth(3.3, np.array(_B_1B), 0.2, 0.3, 0.3, 0.6)),
        (
            toxicity_interaction_spec(),
            Truth(3.3, np.array([*_B_1B, -0.1, 0.244]), 0.2, 0.3, 0.3, 0.6),
        ),
        (moderation_spec(), Truth(3.3, np.array(moderation_b), 0.2, 0.3, 0.3, 0.6)),
        (mirroring_specs()[2], Truth(0.1, np.array(_B_3_COMPASSION), 0.03, 0.04, 0.04, 0.1)),
    ]


def engines() -> list[Engine]:
    return ["pystan", "cmdstanpy"] if cmdstan_available() else ["pystan"]


def bench(
    snapshot_path: Path | None = None,
    *,
    profile: SamplingProfile = BENCH_PROFILE,
    include_direct: bool = True,
) -> list[dict[str, object]]:
    """Benchmark rows ``{"benchmark", "metric", "value", "unit", "note"}``."""
    if snapshot_path is None:
        snapshot = simulate_snapshot(**PRISM_SCALE, seed=2025)
        source = "synthetic PRISM scale"
    else:
        snapshot = pd.read_parquet(snapshot_path)
        source = str(snapshot_path)
    rows: list[dict[str, object]] = []
    timings: dict[str, float] = {}
    for engine in engines():
        for spec, truth in cases():
            record = simulate_outcome(build_fit_data(snapshot, spec).stan, truth, seed=3).data
            programs = [spec.program]
            # The direct program is the slow reference: timed on the first engine only.
            if include_direct and spec.analysis == "log_score" and engine == engines()[0]:
                programs.append("gaussian_nested")
            for program in programs:
                name = f"stan/{engine}/{spec.name}/{program}"
                note = (
                    f"{source}; N={record.N}, participants={record.N_user}, "
                    f"conversations={record.N_conv}, LLMs={record.N_model}; {profile.chains} "
                    f"chains x {profile.warmup}+{profile.draws}"
                )
                start = time.perf_counter()
                inits = initial_values(program, record, profile.chains, profile.seed)
                result = sample(program, record.to_stan(), profile, engine=engine, inits=inits)
                wall = time.perf_counter() - start
                rows += fit_rows(name, result, truth, wall, note)
                timings[f"{engine}/{spec.name}/{program}"] = result.sample_seconds
        marginal = timings.get(f"{engine}/log_score__all/gaussian_nested_marginal")
        direct = timings.get(f"{engine}/log_score__all/gaussian_nested")
        if marginal and direct:
            rows.append(
                _row(
                    f"stan/{engine}/log_score__all/marginal_vs_direct",
                    "speedup",
                    direct / marginal,
                    "x",
                    "sampling wall time of gaussian_nested / gaussian_nested_marginal",
                )
            )
    if len(engines()) > 1:
        for spec, _ in cases():
            first, second = (timings.get(f"{e}/{spec.name}/{spec.program}") for e in engines())
            if first and second:
                rows.append(
                    _row(
                        f"stan/{spec.name}/{spec.program}",
                        "pystan_over_cmdstanpy",
                        first / second,
                        "x",
                        "sampling wall time, same data, seed and starts, same run",
                    )
                )
    return rows


def fit_rows(
    name: str, result: SampleResult, truth: Truth, wall: float, note: str
) -> list[dict[str, object]]:
    post = result.idata.posterior
    b = post["b"].values
    ess = az.ess(post, var_names=["b"], method="bulk")["b"].values
    draws = b.reshape(-1, b.shape[-1])
    lower, upper = np.quantile(draws, [0.05, 0.95], axis=0)
    coverage = float(((lower <= truth.b) & (truth.b <= upper)).mean())
    corr = float(np.corrcoef(draws.mean(axis=0), truth.b)[0, 1])
    stats = result.idata.sample_stats
    ess_all = az.ess(post, method="bulk")
    min_ess_any = min(float(np.min(v.values)) for v in ess_all.data_vars.values())
    return [
        _row(name, "wall_seconds", wall, "s", note),
        _row(name, "compile_seconds", result.compile_seconds, "s", "cached build + data load"),
        _row(name, "sample_seconds", result.sample_seconds, "s", result.engine_version),
        _row(name, "min_ess_bulk_b", float(ess.min()), "draws", "over coefficients"),
        _row(name, "ess_bulk_per_second_b", float(ess.min()) / result.sample_seconds, "1/s", ""),
        _row(name, "min_ess_bulk_all", min_ess_any, "draws", "every parameter"),
        _row(name, "mean_tree_depth", float(stats["tree_depth"].mean()), "", ""),
        _row(name, "divergences", int(stats["diverging"].sum()), "", ""),
        _row(name, "coverage_90", coverage, "share", "planted b inside the 5-95% interval"),
        _row(name, "corr_with_truth", corr, "", "posterior means vs planted b"),
    ]


def _row(benchmark: str, metric: str, value: float, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": benchmark, "metric": metric, "value": value, "unit": unit, "note": note}


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    frame = pd.DataFrame(bench(path))
    print(frame.to_string(index=False))


if __name__ == "__main__":
    main()
