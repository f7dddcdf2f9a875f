"""The choice model for the top pick against the paper's Bernoulli model, at full scale.

Full-scale synthetic PRISM from the ``choice`` truth (the top pick of each interaction planted as
a mixed logit: Gumbel noise on log score and participant-level random slopes; truth.json's
``implied.choice`` holds the coefficients a conditional logit should recover) goes through
ingest, scores and dbt into ``analysis/model_snapshot``. Its interactions are split by
conversation, 80% to train and 20% held out. On the training rows, under the ``default``
profile, three fits of the top pick over all conversation types:

- ``top_choice``, the conditional logit;
- the paper's Bernoulli model (1a, ``top_scored``);
- ``top_choice_mixed``, the mixed logit (participant-level random slopes; about half an hour
  more, left out with ``--no-mixed``).

Each reports sampling seconds, the convergence checks and the smallest bulk and tail ESS per
second; the choice models report recovery of the planted coefficients (the share of 90%
intervals covering them and the correlation of posterior means with them), and the Bernoulli
model the same statistics against the same planted values, to show how far its coefficients are
from the choice coefficients. On the held-out sets each model scores its log predictive density
of the observed top set and its accuracy (`orchestration.modeling.choice_predict`). The two
choice models, fitted on the same training sets, are also compared by PSIS-LOO
(`orchestration.modeling.loo.model_comparison`): the difference in elpd with its pointwise
standard error, and the count of Pareto k above 0.7.

Run: ``make bench BENCH=bench_choice`` or ``.venv/bin/python -m tests.benchmarks.bench_choice``.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.modeling.choice import ChoiceData, build_choice_data
from orchestration.modeling.choice_predict import ChoiceSets, PredictiveScore, score_sets
from orchestration.modeling.engine import profile_for
from orchestration.modeling.fit import FitResult, run_analysis
from orchestration.modeling.loo import PARETO_K_LIMIT, model_comparison
from orchestration.modeling.specs import (
    ATTRIBUTES,
    AnalysisOptions,
    top_choice_mixed_spec,
    top_choice_specs,
    top_scored_specs,
)
from orchestration.settings import REPO_ROOT
from tests.benchmarks.bench_fits import build_snapshot

WORKDIR = REPO_ROOT / "data" / "bench" / "choice"
HELD_OUT_SHARE = 0.2
MIN_COVERAGE = 0.8
MIN_CORRELATION = 0.95


def held_out(conversation_ids: pd.Series) -> pd.Series:
    """A fixed 20% of conversations, by hash, so every model sees the same split."""
    digest = conversation_ids.map(lambda c: int(hashlib.sha256(c.encode()).hexdigest()[:8], 16))
    return digest % 100 < HELD_OUT_SHARE * 100


def implied_choice(workdir: Path) -> dict[str, object]:
    path = next((workdir / "synthetic").glob("*/truth.json"))
    return json.loads(path.read_text())["implied"]["choice"]


def evaluation_sets(rows: pd.DataFrame, fit: FitResult) -> ChoiceSets:
    """The held-out choice sets, indexed like `fit`'s LLMs and participants."""
    data = build_choice_data(rows, top_choice_specs()[0])
    record = data.stan
    assert isinstance(record, ChoiceData)
    models = {m: i for i, m in enumerate(fit.data.model_names)}
    users = {u: i for i, u in enumerate(fit.data.user_ids)}
    set_users = np.repeat(np.asarray(record.J_set_user) - 1, np.diff(record.set_start))
    return ChoiceSets(
        X=np.asarray(record.X, dtype=float),
        top=np.asarray(record.y, dtype=bool),
        starts=np.asarray(record.set_start) - 1,
        model=np.array([models[data.model_names[j - 1]] for j in record.J_model]),
        user=np.array([users.get(data.user_ids[u], -1) for u in set_users]),
    )


def _draws(fit: FitResult, name: str) -> np.ndarray:
    values = fit.run.idata.posterior[name]
    return values.values.reshape(values.sizes["chain"] * values.sizes["draw"], *values.shape[2:])


def predictive(fit: FitResult, sets: ChoiceSets) -> PredictiveScore:
    b = _draws(fit, "b")
    if fit.spec.program == "bernoulli_nested":
        return score_sets(sets, b, _draws(fit, "mu_model"))
    slopes = None
    if fit.spec.random_slopes:
        slopes = _draws(fit, "z_slope") * _draws(fit, "tau_signed")[:, None, :]
    return score_sets(sets, b, _draws(fit, "r_model"), slopes)


def recovery(fit: FitResult, planted: np.ndarray) -> tuple[float, float]:
    b = _draws(fit, "b")
    lower, upper = np.quantile(b, [0.05, 0.95], axis=0)
    coverage = float(((lower <= planted) & (planted <= upper)).mean())
    return coverage, float(np.corrcoef(b.mean(axis=0), planted)[0, 1])


def bench(workdir: Path = WORKDIR, with_mixed: bool = True) -> list[dict[str, object]]:
    snapshot = pd.read_parquet(build_snapshot(workdir, truth="choice"))
    implied = implied_choice(workdir)
    planted = np.array([implied["beta"][a] for a in ATTRIBUTES])
    test = held_out(snapshot["conversation_id"])
    train, heldout = snapshot[~test], snapshot[test]
    fits = {
        "conditional logit": top_choice_specs()[0],
        "bernoulli (1a)": top_scored_specs()[0],
    }
    if with_mixed:
        fits["mixed logit"] = top_choice_mixed_spec()
    rows: list[dict[str, object]] = []
    scores: dict[str, PredictiveScore] = {}
    fitted: dict[str, FitResult] = {}
    for label, spec in fits.items():
        profile = profile_for("default", spec.profile_key)
        start = time.perf_counter()
        fit = run_analysis(
            spec, train, profile, AnalysisOptions(), output_dir=workdir / "fits" / label
        )
        wall = time.perf_counter() - start
        verdict = fit.diagnostics.iloc[0]
        name = f"choice/{label}"
        rows += [
            _row(
                name,
                "sample_seconds",
                float(verdict["sample_seconds"]),
                "s",
                f"{profile.chains} x ({profile.warmup} + {profile.draws}), train split",
            ),
            _row(name, "wall_seconds", wall, "s", "data, inits, sampling and summaries"),
            _row(
                name,
                "passed",
                bool(verdict["passed"]),
                "",
                f"R-hat {verdict['max_r_hat']:.3f}, ESS {verdict['min_ess_bulk']:.0f}/"
                f"{verdict['min_ess_tail']:.0f}, {verdict['divergences']} divergences",
            ),
            _row(
                name,
                "min_ess_bulk_per_second",
                float(verdict["min_ess_bulk_per_second"]),
                "1/s",
                "",
            ),
            _row(
                name,
                "min_ess_tail_per_second",
                float(verdict["min_ess_tail_per_second"]),
                "1/s",
                "",
            ),
        ]
        coverage, correlation = recovery(fit, planted)
        rows += [
            _row(
                name,
                "coverage_90",
                coverage,
                "",
                f"share of 7 planted choice coefficients inside the 90% interval "
                f"(goal for the choice models: >= {MIN_COVERAGE})",
            ),
            _row(
                name,
                "correlation",
                correlation,
                "",
                f"posterior means against the planted values (goal: >= {MIN_CORRELATION})",
            ),
        ]
        if spec.random_slopes:
            tau = _draws(fit, "tau")
            planted_tau = np.array([implied["slope_sd"][a] for a in ATTRIBUTES])
            lower, upper = np.quantile(tau, [0.05, 0.95], axis=0)
            rows.append(
                _row(
                    name,
                    "slope_sd_coverage_90",
                    float(((lower <= planted_tau) & (planted_tau <= upper)).mean()),
                    "",
                    "planted participant slope sds inside the 90% interval",
                )
            )
        scores[label] = predictive(fit, evaluation_sets(heldout, fit))
        fitted[label] = fit
    if with_mixed:
        rows += loo_rows({label: fitted[label] for label in ("conditional logit", "mixed logit")})
    reference = scores["bernoulli (1a)"]
    for label, score in scores.items():
        total, se = score.total()
        difference = score.log_density - reference.log_density
        rows += [
            _row(
                f"choice/{label}",
                "heldout_log_density",
                total,
                "nats",
                f"+- {se:.1f} over {score.log_density.size} held-out sets",
            ),
            _row(
                f"choice/{label}",
                "heldout_vs_bernoulli",
                float(difference.sum()),
                "nats",
                f"+- {np.sqrt(difference.size) * difference.std(ddof=1):.1f} (paired)",
            ),
            _row(
                f"choice/{label}",
                "heldout_accuracy",
                float(score.accuracy.mean()),
                "",
                "share of held-out sets whose most probable option is a top one",
            ),
        ]
    return rows


def loo_rows(fits: dict[str, FitResult]) -> list[dict[str, object]]:
    """PSIS-LOO of the choice models on the same training sets, each against the best."""
    pointwise = pd.concat([fit.loo for fit in fits.values() if fit.loo is not None])
    ppc = pd.concat([fit.ppc for fit in fits.values()])
    labels = {fit.spec.analysis: label for label, fit in fits.items()}
    rows: list[dict[str, object]] = []
    for record in model_comparison(pointwise, ppc).to_dict("records"):
        name = f"choice/{labels[record['analysis']]}"
        against = labels.get(record["compared_on"], record["compared_on"])
        rows += [
            _row(
                name,
                "elpd_loo",
                float(record["elpd_loo"]),
                "nats",
                f"+- {record['elpd_loo_se']:.1f} over {record['n_observations']} training sets; "
                f"p_loo {record['p_loo']:.1f}; {record['n_pareto_k_above_0_7']} with Pareto k > "
                f"{PARETO_K_LIMIT}",
            ),
            _row(
                name,
                "elpd_loo_diff",
                float(record["elpd_diff"]),
                "nats",
                f"+- {record['elpd_diff_se']:.1f} (pointwise) against {against}",
            ),
        ]
    return rows


def _row(benchmark: str, metric: str, value: object, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": benchmark, "metric": metric, "value": value, "unit": unit, "note": note}


def main() -> None:
    import sys

    for row in bench(with_mixed="--no-mixed" not in sys.argv[1:]):
        print(row)


if __name__ == "__main__":
    main()
