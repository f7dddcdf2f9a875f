"""Where each fit's sampling time goes: per fit, the current Stan programs beside an earlier
revision's, on the same rows, seed, starting values and profile.

The rows are `make run`'s own: full-scale synthetic PRISM (the `paper` truth) through ingest,
scores and dbt into ``analysis/model_snapshot``, built once in ``data/bench/fits``. Each fit is
sampled with the warmup kept, so the warmup's share of the gradients is counted rather than
guessed, and reports:

- ``sample_seconds``: wall time of sampling (warmup included), all chains;
- ``gradient_ms``: core-milliseconds per gradient, sample_seconds x the chains running at once
  / every leapfrog step of warmup and sampling (an estimate: it charges the sampler's own
  overhead to the gradient);
- ``mean_tree_depth`` after warmup, and ``warmup_share`` of the leapfrog steps;
- ``min_ess_bulk_per_second`` and ``min_ess_tail_per_second`` over the checked parameters;
- ``passed``: the convergence checks of `analysis.fit_diagnostics`.

The earlier revision (``BEFORE`` below, or ``--before REV``) is read from git with
``git archive``; its programs take the current starting values plus the names they used then
(so they start near the point estimate too, which only flatters them) and, under ``default``,
the profile of the time (4 chains x 500 + 500).
``--fits`` picks fits by name: all 17 by default (the earlier revision's side takes about an hour
here), or ``--fits representative`` for one per analysis and program (``REPRESENTATIVE``);
``--profile`` picks the sampling profile (``default``).

Run: ``make bench BENCH=bench_fits`` or ``.venv/bin/python -m tests.benchmarks.bench_fits``.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orchestration.modeling.data import NestedData, build_fit_data
from orchestration.modeling.engine import SamplingProfile, profile_for, sample
from orchestration.modeling.inits import initial_values, qr_r
from orchestration.modeling.specs import AnalysisOptions, AnalysisSpec, paper_specs
from orchestration.modeling.summaries import fit_diagnostics
from orchestration.settings import REPO_ROOT

WORKDIR = REPO_ROOT / "data" / "bench" / "fits"
# The last commit before the suite-speed work (issue 12): total-and-share Gaussian program,
# Bernoulli program with bounded sds and gathered intercepts.
BEFORE = "d7cee84"
# The `default` profile as it was then: 500 warmup iterations in Stan's standard windows.
BEFORE_DEFAULT = SamplingProfile("default", chains=4, warmup=500, draws=500)
# One fit per analysis and program: 1a (a conversation-type subset), 1b, analysis 2's moderation
# model (39 terms, its interactions correlated with their main effects) and one mirroring fit of
# analysis 3.
REPRESENTATIVE = (
    "top_scored__unguided",
    "log_score__all",
    "moderation__all",
    "mirroring__response_toxicity",
)


def build_snapshot(workdir: Path = WORKDIR, truth: str = "paper") -> Path:
    """`make run`'s data layers (no fits) in `workdir`, on full-scale synthetic PRISM from the
    `truth` preset; returns the snapshot's path."""
    path = workdir / "snapshots" / "model_snapshot.parquet"
    if path.exists():
        return path
    (workdir / "dagster_home").mkdir(parents=True, exist_ok=True)
    (workdir / "dagster_home" / "dagster.yaml").write_text(
        (REPO_ROOT / "orchestration" / "dagster.yaml").read_text()
    )
    env = os.environ | {
        "PRISM_DATA_DIR": str(workdir),
        "PRISM_WAREHOUSE_DB": str(workdir / "warehouse.duckdb"),
        "DAGSTER_HOME": str(workdir / "dagster_home"),
        "PRISM_SOURCE": "synthetic",
        "PRISM_SYNTHETIC_SCALE": "full",
        "PRISM_SYNTHETIC_TRUTH": truth,
    }
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "asset", "materialize", "-m", "orchestration.definitions"]
    subprocess.run(
        [*command, "--select", "*analysis/model_snapshot"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    return path


def programs_at(revision: str, into: Path) -> Path:
    """The ``stan/`` directory of git `revision`, extracted under `into`."""
    archive = subprocess.run(
        ["git", "archive", revision, "stan"], cwd=REPO_ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "stan"


def legacy_inits(inits: list[dict[str, Any]], data: NestedData) -> list[dict[str, Any]]:
    """The current starting values plus the names the earlier programs used for the same
    quantities; Stan reads the names a program declares and ignores the rest."""
    out = []
    for chain in inits:
        chain = dict(chain)
        if "log_sigma" in chain:  # marginal Gaussian: sigma was sampled on its own scale
            chain["sigma"] = float(np.exp(chain["log_sigma"]))
        if "sd_user_signed" in chain:  # ... as a total sd and the participant's share
            user, conv = chain["sd_user_signed"], chain["sd_conv_signed"]
            chain["sd_nested"] = float(np.hypot(user, conv))
            chain["share_user"] = float(user**2 / (user**2 + conv**2))
        if "b_tilde" in chain:  # ... and b without the QR decomposition
            chain["b"] = np.linalg.solve(qr_r(data), np.asarray(chain["b_tilde"])).tolist()
        out.append(chain)
    return out


def profile_fit(
    spec: AnalysisSpec,
    snapshot: pd.DataFrame,
    profile: SamplingProfile,
    stan_dir: Path | None = None,
) -> dict[str, float]:
    """Sample `spec` once (from `stan_dir`'s programs when given) and measure it."""
    data = build_fit_data(snapshot, spec.with_prompt("opening"), AnalysisOptions())
    inits = initial_values(spec.program, data.stan, profile.chains, profile.seed)
    if stan_dir is not None:
        inits = legacy_inits(inits, data.stan)
    extra = {"stan_dir": stan_dir} if stan_dir is not None else {}
    start = time.perf_counter()
    run = sample(
        spec.program,
        data.stan.to_stan(),
        profile,
        engine="pystan",
        inits=inits,
        save_warmup=True,
        **extra,
    )
    wall = time.perf_counter() - start
    checks = fit_diagnostics(run.idata, max_treedepth=profile.max_treedepth)
    warmup_steps = int(run.idata.warmup_sample_stats["n_steps"].values.sum())
    sampling_steps = checks.n_leapfrog
    parallel = min(profile.chains, os.cpu_count() or 1)
    return {
        "rows": data.stan.N,
        "wall_seconds": wall,
        "sample_seconds": run.sample_seconds,
        "gradient_ms": 1000 * run.sample_seconds * parallel / (warmup_steps + sampling_steps),
        "mean_tree_depth": checks.mean_tree_depth,
        "warmup_share": warmup_steps / (warmup_steps + sampling_steps),
        "min_ess_bulk_per_second": checks.min_ess_bulk / run.sample_seconds,
        "min_ess_tail_per_second": checks.min_ess_tail / run.sample_seconds,
        "divergences": checks.divergences,
        "passed": float(checks.verdicts()["passed"]),
    }


def bench(
    fits: list[str] | None = None, *, profile: str = "default", before: str | None = BEFORE
) -> list[dict[str, object]]:
    """Benchmark rows ``{"benchmark", "metric", "value", "unit", "note"}``."""
    snapshot = pd.read_parquet(build_snapshot())
    specs = [s for s in paper_specs() if fits is None or s.name in fits]
    if fits is not None and len(specs) != len(set(fits)):
        known = [s.name for s in paper_specs()]
        raise ValueError(f"unknown fit in {fits}; the fits are {known}")
    rows: list[dict[str, object]] = []
    units = {"rows": "rows", "wall_seconds": "s", "sample_seconds": "s", "gradient_ms": "ms"}
    with tempfile.TemporaryDirectory() as scratch:
        variants: list[tuple[str, Path | None]] = [("now", None)]
        if before:
            variants.insert(0, (f"before ({before})", programs_at(before, Path(scratch))))
        for spec in specs:
            for label, stan_dir in variants:
                sampling = profile_for(profile, spec.paper_id)
                if stan_dir is not None and profile == "default":
                    sampling = BEFORE_DEFAULT
                measured = profile_fit(spec, snapshot, sampling, stan_dir)
                note = (
                    f"{label}; {spec.program}; {sampling.chains} chains x {sampling.warmup}"
                    f"+{sampling.draws}, seed {sampling.seed}, PyStan"
                )
                rows += [
                    {
                        "benchmark": f"fits/{spec.name}",
                        "metric": f"{metric} [{label}]",
                        "value": value,
                        "unit": units.get(metric, ""),
                        "note": note,
                    }
                    for metric, value in measured.items()
                ]
                print(f"{spec.name} [{label}]: {measured}", flush=True)
    return rows


SUMMARY_METRICS = (
    ("sample_seconds", "sampling s", "{:,.0f}"),
    ("gradient_ms", "ms / gradient", "{:.2f}"),
    ("mean_tree_depth", "tree depth", "{:.1f}"),
    ("warmup_share", "warmup share", "{:.0%}"),
    ("min_ess_bulk_per_second", "bulk ESS / s", "{:.1f}"),
    ("min_ess_tail_per_second", "tail ESS / s", "{:.1f}"),
    ("divergences", "divergences", "{:.0f}"),
    ("passed", "passed", "{:.0f}"),
)


def summary(rows: list[dict[str, object]]) -> str:
    """The rows as one line per fit and variant, for reading the two side by side."""
    table = pd.DataFrame(rows)
    parts = table["metric"].str.extract(r"^(?P<name>\w+) \[(?P<variant>.+)\]$")
    table = table.join(parts)
    lines = [
        "## Fits before and after (bench_fits)",
        "",
        "| fit | variant | " + " | ".join(label for _, label, _ in SUMMARY_METRICS) + " |",
        "|---|---|" + "---|" * len(SUMMARY_METRICS),
    ]
    for (fit, variant), group in table.groupby(["benchmark", "variant"], sort=False):
        values = dict(zip(group["name"], group["value"], strict=True))
        cells = [fmt.format(float(values[name])) for name, _, fmt in SUMMARY_METRICS]
        lines.append(
            f"| {str(fit).removeprefix('fits/')} | {variant} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fits", nargs="*", default=None)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--before", default=BEFORE, help="git revision, or '' for none")
    args = parser.parse_args(argv)
    fits = list(REPRESENTATIVE) if args.fits == ["representative"] else args.fits
    rows = bench(fits, profile=args.profile, before=args.before or None)
    print(pd.DataFrame(rows).to_string(index=False))
    print(summary(rows))


if __name__ == "__main__":
    main()
