"""The whole warehouse at full synthetic scale under one sampling profile: wall time of the
suite, every fit's diagnostics, and recovery of the truth planted in the synthetic files.

It runs ``python -m orchestration.run`` (what ``make run`` runs) in a fresh data directory, on
full-scale synthetic PRISM generated from the ``recovery`` truth (the paper's coefficients with
the realism knobs off), under ``PRISM_FIT_PROFILE`` (``paper`` by default: 4 chains x 1,000
warmup x 1,000 draws, 3,000 for analyses 2 and 3). Then it reads ``analysis.fit_diagnostics``
and ``analysis.posterior_summary`` from the warehouse and sets every coefficient beside the
value the generator planted:

- 1b and its subsets: the coefficient a model without moderator terms recovers,
  beta + gamma @ (mean moderator - centre) (+ lambda x mean opening toxicity for toxicity),
  with the means taken over the rows each fit used;
- the toxicity interaction: the same for the attributes but without the lambda share, 0 for the
  prompt's toxicity and lambda for the product;
- 2 (moderation): beta - gamma @ centre for the attributes (the generator centres moderators,
  the fit does not), delta for the moderators and gamma for the products;
- 3 (mirroring): Table 4's B, prompt attribute on response attribute.

Analysis 1a is not planted (the top-scored flag follows from the scores), so its recovery is
measured in ``bench_stan`` on outcomes drawn from the Bernoulli program itself.

Run: ``make bench BENCH=bench_suite`` or ``.venv/bin/python -m tests.benchmarks.bench_suite
[profile]``; about 35 minutes at ``paper`` on two cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.modeling.data import select_rows
from orchestration.modeling.specs import (
    ATTRIBUTES,
    MODERATORS,
    AnalysisOptions,
    AnalysisSpec,
    paper_specs,
)
from orchestration.settings import REPO_ROOT

WORKDIR = REPO_ROOT / "data" / "bench" / "suite"
# Recovery as the Stan issue defines it, per analysis.
MIN_COVERAGE = 0.8
MIN_CORRELATION = 0.95


def bench(profile: str = "paper", workdir: Path = WORKDIR) -> list[dict[str, object]]:
    """Benchmark rows ``{"benchmark", "metric", "value", "unit", "note"}``."""
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "dagster_home").mkdir(parents=True)
    shutil.copyfile(
        REPO_ROOT / "orchestration" / "dagster.yaml", workdir / "dagster_home" / "dagster.yaml"
    )
    env = os.environ | {
        "PRISM_DATA_DIR": str(workdir),
        "PRISM_WAREHOUSE_DB": str(workdir / "warehouse.duckdb"),
        "DAGSTER_HOME": str(workdir / "dagster_home"),
        "PRISM_SOURCE": "synthetic",
        "PRISM_SYNTHETIC_SCALE": "full",
        "PRISM_SYNTHETIC_TRUTH": "recovery",
        "PRISM_FIT_PROFILE": profile,
    }
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "orchestration.run"], env=env, cwd=REPO_ROOT, check=True)
    wall = time.perf_counter() - start
    (workdir / "suite_run.json").write_text(json.dumps({"profile": profile, "wall": wall}))
    return evaluate(workdir)


def evaluate(workdir: Path = WORKDIR) -> list[dict[str, object]]:
    """The rows of a finished suite run, read back from its directory (re-runnable)."""
    run = json.loads((workdir / "suite_run.json").read_text())
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        diagnostics = con.sql("select * from analysis.fit_diagnostics").df()
        summary = con.sql("select * from analysis.posterior_summary").df()
    truth = json.loads(next((workdir / "synthetic").glob("full-*/truth.json")).read_text())
    snapshot = pd.read_parquet(workdir / "snapshots" / "model_snapshot.parquet")
    planted = planted_coefficients(truth, snapshot)
    return suite_rows(run["profile"], run["wall"], diagnostics, summary, planted)


def planted_coefficients(truth: dict, snapshot: pd.DataFrame) -> pd.DataFrame:
    """``analysis, subset, term, planted`` for every planted coefficient of the paper's fits."""
    score = truth["score"]
    beta, gamma, centre = score["beta"], score["gamma"], score["moderator_centers"]
    rows: list[tuple[str, str, str, float]] = []
    for spec in paper_specs():
        if spec.analysis == "top_scored":
            continue
        used = _rows_used(snapshot, spec)
        # The generator reads "Prefer not to say" as 0; the warehouse makes it null.
        mean_mod = {m: float(used[m].astype("boolean").fillna(False).mean()) for m in MODERATORS}
        opening_toxicity = float(used["opening_prompt_toxicity"].mean())

        planted: dict[str, float] = {}
        if spec.analysis == "log_score":
            planted = {
                a: _marginal(score, a, mean_mod, opening_toxicity, with_lambda=True)
                for a in ATTRIBUTES
            }
        elif spec.analysis == "log_score_toxicity_interaction":
            planted = {
                a: _marginal(score, a, mean_mod, opening_toxicity, with_lambda=False)
                for a in ATTRIBUTES
            }
            planted["opening_prompt_toxicity"] = 0.0
            planted["toxicity:opening_prompt_toxicity"] = score["lambda"]
        elif spec.analysis == "moderation":
            for a in ATTRIBUTES:
                planted[a] = beta[a] - sum(gamma[m][a] * centre[m] for m in MODERATORS)
                if a == "toxicity":
                    planted[a] += score["lambda"] * opening_toxicity
            planted |= {m: score["delta"][m] for m in MODERATORS}
            planted |= {f"{m}:{a}": gamma[m][a] for m in MODERATORS for a in ATTRIBUTES}
        elif spec.analysis == "mirroring":
            response = spec.outcome.removeprefix("response_")
            B = truth["mirroring"]["B"]
            planted = {f"opening_prompt_{p}": B[p][response] for p in ATTRIBUTES}
        rows += [(spec.analysis, spec.subset, term, value) for term, value in planted.items()]
    return pd.DataFrame(rows, columns=["analysis", "subset", "term", "planted"])


def _marginal(
    score: dict,
    attribute: str,
    mean_mod: dict[str, float],
    opening_toxicity: float,
    *,
    with_lambda: bool,
) -> float:
    """What a model without the moderator terms (or the toxicity product) estimates."""
    value = score["beta"][attribute] + sum(
        score["gamma"][m][attribute] * (mean_mod[m] - score["moderator_centers"][m])
        for m in MODERATORS
    )
    if with_lambda and attribute == "toxicity":
        value += score["lambda"] * opening_toxicity
    return value


def _rows_used(snapshot: pd.DataFrame, spec: AnalysisSpec) -> pd.DataFrame:
    # The suite runs with the default options, as `make run` does.
    rows, _ = select_rows(snapshot, spec, AnalysisOptions())
    return rows


def suite_rows(
    profile: str,
    wall: float,
    diagnostics: pd.DataFrame,
    summary: pd.DataFrame,
    planted: pd.DataFrame,
) -> list[dict[str, object]]:
    note = f"make run at full synthetic scale (recovery truth), profile {profile}"
    passed = int(diagnostics["passed"].astype(bool).sum())
    rows = [
        _row("suite", "wall_seconds", wall, "s", f"{note}: load, dbt build, 17 fits, tables"),
        _row(
            "suite",
            "fit_sample_seconds_total",
            float(diagnostics["sample_seconds"].sum()),
            "s",
            "sum over fits of NUTS wall time (fits run two at a time)",
        ),
        _row(
            "suite",
            "fits_passing_all_checks",
            passed,
            f"of {len(diagnostics)}",
            "R-hat <= 1.01, bulk and tail ESS >= 400, no divergences, E-BFMI > 0.3",
        ),
    ]
    coefficients = summary.merge(planted, on=["analysis", "subset", "term"], how="inner")
    coefficient_terms = {f"suite/{spec.name}": spec.terms for spec in paper_specs()}
    for fit in diagnostics.itertuples():
        name = f"suite/{fit.analysis}__{fit.subset.replace(' ', '_')}"
        verdict = "passed" if fit.passed else "FAILED"
        terms = summary[(summary["analysis"] == fit.analysis) & (summary["subset"] == fit.subset)]
        b_ess = terms.loc[terms["term"].isin(coefficient_terms[name]), "ess_bulk"]
        rows += [
            _row(
                name,
                "sample_seconds",
                float(fit.sample_seconds),
                "s",
                f"{fit.engine}; N={fit.n_rows}",
            ),
            _row(
                name,
                "ess_bulk_per_second_b",
                float(b_ess.min()) / float(fit.sample_seconds),
                "1/s",
                "least coefficient",
            ),
            _row(
                name,
                "checks",
                verdict,
                "",
                f"max R-hat {fit.max_r_hat:.4f}, min bulk ESS {fit.min_ess_bulk:.0f}, "
                f"min tail ESS {fit.min_ess_tail:.0f}, divergences {fit.divergences}, "
                f"min E-BFMI {fit.min_ebfmi:.2f}",
            ),
        ]
    for analysis, group in coefficients.groupby("analysis", sort=False):
        inside = (group["q5"] <= group["planted"]) & (group["planted"] <= group["q95"])
        coverage = float(inside.mean())
        corr = float(np.corrcoef(group["mean"], group["planted"])[0, 1])
        ok = coverage >= MIN_COVERAGE and corr >= MIN_CORRELATION
        fits = group["subset"].nunique()
        rows += [
            _row(
                f"suite/recovery/{analysis}",
                "coverage_90",
                coverage,
                "share",
                f"{int(inside.sum())} of {len(group)} planted coefficients inside the 5-95% "
                f"interval, over {fits} fit(s); target >= {MIN_COVERAGE}",
            ),
            _row(
                f"suite/recovery/{analysis}",
                "corr_with_truth",
                corr,
                "",
                f"posterior means vs planted; target >= {MIN_CORRELATION}; "
                f"{'recovered' if ok else 'NOT recovered'}",
            ),
        ]
    return rows


def _row(benchmark: str, metric: str, value: object, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": benchmark, "metric": metric, "value": value, "unit": unit, "note": note}


def main() -> None:
    profile = sys.argv[1] if len(sys.argv) > 1 else "paper"
    print(pd.DataFrame(bench(profile)).to_string(index=False))


if __name__ == "__main__":
    main()
