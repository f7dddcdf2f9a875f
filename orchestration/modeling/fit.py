"""Run one analysis end to end: snapshot -> Stan data -> draws on disk -> summary frames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .data import FitData, build_fit_data
from .engine import DEFAULT_CMDSTAN_BUILDS, Engine, SampleResult, SamplingProfile, sample
from .inits import initial_values
from .specs import AnalysisOptions, AnalysisSpec
from .summaries import (
    DiagnosticThresholds,
    fit_diagnostics,
    hypothesis_table,
    paper_signs,
    posterior_summary,
)


@dataclass(frozen=True)
class FitResult:
    spec: AnalysisSpec
    data: FitData
    run: SampleResult
    summary: pd.DataFrame  # `summaries.SUMMARY_COLUMNS`, one row per term and scalar
    diagnostics: pd.DataFrame  # one row
    hypotheses: pd.DataFrame  # the paper's table format
    draws_path: Path


def run_analysis(
    spec: AnalysisSpec,
    snapshot: pd.DataFrame,
    profile: SamplingProfile,
    options: AnalysisOptions | None = None,
    *,
    output_dir: Path,
    engine: Engine | None = None,
    cmdstan_builds: Path = DEFAULT_CMDSTAN_BUILDS,
    paper: pd.DataFrame | None = None,
    thresholds: DiagnosticThresholds | None = None,
) -> FitResult:
    """Fit `spec` on `snapshot` and write its draws to ``output_dir/<spec.name>.nc``.

    `paper` (from `summaries.read_paper_estimates`) sets each hypothesis's direction to the
    paper's; without it the direction is the sign of our posterior mean.
    """
    options = options or AnalysisOptions()
    spec = spec.with_prompt(options.prompt)
    data = build_fit_data(snapshot, spec, options)
    record = data.stan
    coords: dict[str, list[object]] = {"term": list(data.terms), "model": list(data.model_names)}
    dims = {"b": ["term"], "r_model": ["model"]}
    # Only the brms-style reference program keeps non-centred LLM intercepts.
    dims["z_model" if spec.program == "gaussian_nested" else "mu_model"] = ["model"]
    # The marginal program has no participant or conversation draws unless asked for them.
    if spec.program != "gaussian_nested_marginal" or record.save_group:
        coords |= {"user": list(data.user_ids), "conversation": list(data.conversation_ids)}
        dims |= {"r_user": ["user"], "r_conv": ["conversation"]}
        if spec.program != "gaussian_nested_marginal":
            dims |= {"z_user": ["user"], "z_conv": ["conversation"]}
    inits = initial_values(spec.program, record, profile.chains, profile.seed)
    run = sample(
        spec.program,
        record.to_stan(),
        profile,
        engine=engine,
        cmdstan_builds=cmdstan_builds,
        coords=coords,
        dims=dims,
        inits=inits,
    )

    signs = paper_signs(paper, spec.analysis, spec.subset) if paper is not None else None
    summary = posterior_summary(
        run.idata,
        analysis=spec.analysis,
        subset=spec.subset,
        terms=data.terms,
        engine=run.engine,
        fingerprint=data.fingerprint,
        signs=signs,
    )
    checks = fit_diagnostics(run.idata, max_treedepth=profile.max_treedepth)
    diagnostics = pd.DataFrame(
        [
            {
                "analysis": spec.analysis,
                "subset": spec.subset,
                "program": spec.program,
                "engine": run.engine,
                "engine_version": run.engine_version,
                "profile": profile.name,
                "chains": profile.chains,
                "warmup": profile.warmup,
                "draws": profile.draws,
                "seed": profile.seed,
                "adapt_delta": profile.adapt_delta,
                "prompt": options.prompt,
                "n_rows": record.N,
                "n_rows_dropped": sum(data.rows_dropped.values()),
                "n_users": record.N_user,
                "n_conversations": record.N_conv,
                "n_models": record.N_model,
                "compile_seconds": run.compile_seconds,
                "sample_seconds": run.sample_seconds,
                **checks.as_row(thresholds),
                "min_ess_bulk_per_second": checks.min_ess_bulk / run.sample_seconds,
                "min_ess_tail_per_second": checks.min_ess_tail / run.sample_seconds,
                "data_fingerprint": data.fingerprint,
            }
        ]
    )
    draws_path = _write_draws(run, data, profile, output_dir)
    return FitResult(spec, data, run, summary, diagnostics, hypothesis_table(summary), draws_path)


def _write_draws(
    run: SampleResult, data: FitData, profile: SamplingProfile, output_dir: Path
) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{data.spec.name}.nc"
    posterior = run.idata.posterior
    # The standardised z_* duplicate r_* = sd * z; dropping them halves the file.
    standardised = [name for name in posterior.data_vars if str(name).startswith("z_")]
    idata = run.idata.copy()
    idata.posterior = posterior.drop_vars(standardised)
    idata.posterior.attrs |= {
        "analysis": data.spec.analysis,
        "subset": data.spec.subset,
        "program": data.spec.program,
        "engine": run.engine,
        "engine_version": run.engine_version,
        "profile": profile.name,
        "seed": profile.seed,
        "chains": profile.chains,
        "warmup": profile.warmup,
        "draws": profile.draws,
        "adapt_delta": profile.adapt_delta,
        "data_fingerprint": data.fingerprint,
    }
    idata.to_netcdf(str(path), engine="h5netcdf")
    return path
