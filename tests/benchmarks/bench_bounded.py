"""The bounded families beside the paper's Gaussian fits, on `make run`'s own rows: which family
reproduces the outcome, judged by posterior predictive checks, and what each costs.

The rows are full-scale synthetic PRISM from the ``paper`` truth (`bench_fits.build_snapshot`,
shared with that benchmark): scores with PRISM's heaps at 1 and 50 and at the 100 ceiling, a low
plateau and empty answers rated low, none of which a Gaussian on log score can produce; and
response attributes whose noise is a shifted gamma, neither Gaussian nor beta. So neither family
is the truth here, and the checks say which one is closer.

Each pair (``PAIRS``: 1b on all conversations beside the rounded log-logistic, and one mirroring
fit beside its beta regression) runs through `run_analysis` under the ``default`` profile. Per
fit: sampling seconds, the convergence checks, the smallest bulk and tail ESS per second; per
posterior predictive statistic: the observed value, the replicated mean and 90% interval and the
posterior predictive p-value (near 0 or 1 is a misfit); and per pair, the terms on which the two
fits reach the same conclusion (the paper's '*' / '†' marks, `beyond.beyond_paper_comparison`).

Run: ``make bench BENCH=bench_bounded`` or ``.venv/bin/python -m tests.benchmarks.bench_bounded``
(``--pairs score`` or ``--pairs mirroring`` for one pair).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from orchestration.modeling.beyond import beyond_paper_comparison
from orchestration.modeling.engine import profile_for
from orchestration.modeling.fit import FitResult, run_analysis
from orchestration.modeling.specs import (
    AnalysisOptions,
    AnalysisSpec,
    log_score_rounded_specs,
    log_score_specs,
    mirroring_beta_specs,
    mirroring_specs,
)
from orchestration.modeling.summaries import normalise_paper_estimates
from orchestration.settings import REPO_ROOT
from tests.benchmarks.bench_fits import WORKDIR as FITS_WORKDIR
from tests.benchmarks.bench_fits import build_snapshot

WORKDIR = REPO_ROOT / "data" / "bench" / "bounded"
# The paper's fit, then the bounded one; mirroring on toxicity, the attribute nearest 0.
PAIRS: dict[str, tuple[AnalysisSpec, AnalysisSpec]] = {
    "score": (log_score_specs()[0], log_score_rounded_specs()[0]),
    "mirroring": (mirroring_specs()[0], mirroring_beta_specs()[0]),
}


def fit_rows(label: str, fit: FitResult, wall: float) -> list[dict[str, object]]:
    verdict = fit.diagnostics.iloc[0]
    profile = fit.run
    rows = [
        _row(
            label,
            "sample_seconds",
            float(verdict["sample_seconds"]),
            "s",
            f"{verdict['chains']} x ({verdict['warmup']} + {verdict['draws']}), "
            f"{int(verdict['n_rows'])} rows, {profile.engine}",
        ),
        _row(label, "wall_seconds", wall, "s", "data, inits, sampling, summaries and checks"),
        _row(
            label,
            "passed",
            bool(verdict["passed"]),
            "",
            f"R-hat {verdict['max_r_hat']:.4f}, ESS {verdict['min_ess_bulk']:.0f}/"
            f"{verdict['min_ess_tail']:.0f}, {int(verdict['divergences'])} divergences, "
            f"E-BFMI {verdict['min_ebfmi']:.2f}",
        ),
        _row(
            label, "min_ess_bulk_per_second", float(verdict["min_ess_bulk_per_second"]), "1/s", ""
        ),
        _row(
            label, "min_ess_tail_per_second", float(verdict["min_ess_tail_per_second"]), "1/s", ""
        ),
    ]
    for check in fit.ppc.itertuples():
        rows.append(
            _row(
                label,
                f"ppp:{check.statistic}",
                float(check.ppp),
                "",
                f"observed {check.observed:.4g}; replicated {check.replicated_mean:.4g} "
                f"[{check.replicated_q5:.4g}, {check.replicated_q95:.4g}]",
            )
        )
    return rows


def bench(pairs: list[str] | None = None) -> list[dict[str, object]]:
    pairs = pairs or list(PAIRS)
    path = build_snapshot(FITS_WORKDIR)
    snapshot = pd.read_parquet(path)
    paper = normalise_paper_estimates(pd.read_parquet(path.with_name("paper_estimates.parquet")))
    rows: list[dict[str, object]] = []
    for pair in pairs:
        fits = []
        for spec in PAIRS[pair]:
            profile = profile_for("default", spec.profile_key)
            start = time.perf_counter()
            fit = run_analysis(
                spec,
                snapshot,
                profile,
                AnalysisOptions(),
                output_dir=WORKDIR / spec.name,
                paper=paper,
            )
            rows += fit_rows(f"bounded/{spec.name}", fit, time.perf_counter() - start)
            fits.append(fit)
        summary = pd.concat([f.summary for f in fits], ignore_index=True)
        compared = beyond_paper_comparison(summary, paper)
        same = compared["same_conclusion"].dropna()
        changed = compared.loc[compared["same_conclusion"] == False, "term"]  # noqa: E712
        rows.append(
            _row(
                f"bounded/{pair}",
                "same_conclusion",
                int(same.sum()),
                "terms",
                f"of {len(same)}; changed: {', '.join(changed) or 'none'}",
            )
        )
        for term in compared.itertuples():
            rows.append(
                _row(
                    f"bounded/{pair}",
                    f"estimate:{term.term}",
                    float(term.estimate),
                    "",
                    f"{PAIRS[pair][0].analysis} {term.compared_estimate:+.3f} "
                    f"{term.compared_mark or ''} | {PAIRS[pair][1].analysis} "
                    f"{term.estimate:+.3f} [{term.ci_lower:+.3f}, {term.ci_upper:+.3f}] "
                    f"{term.mark or ''}",
                )
            )
    return rows


def _row(benchmark: str, metric: str, value: object, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": benchmark, "metric": metric, "value": value, "unit": unit, "note": note}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", choices=sorted(PAIRS), default=list(PAIRS))
    for row in bench(parser.parse_args().pairs):
        print(row)


if __name__ == "__main__":
    main()
