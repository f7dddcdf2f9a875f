"""Run one analysis end to end: snapshot -> Stan data -> draws on disk -> summary frames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .choice import build_choice_data
from .data import FitData, build_fit_data
from .engine import DEFAULT_CMDSTAN_BUILDS, Engine, SampleResult, SamplingProfile, sample
from .inits import BLOCK_TOTALS, initial_values
from .loo import LOG_LIKELIHOOD, pointwise_loo
from .ppc import check, ppc_plot
from .specs import AnalysisOptions, AnalysisSpec, Family
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
    ppc: pd.DataFrame  # `ppc.PPC_COLUMNS`, one row per checked statistic
    ppc_plot: Path
    loo: pd.DataFrame | None = None  # `loo.LOO_COLUMNS`, for programs that write log_lik


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
    if spec.family is Family.CHOICE:
        data = build_choice_data(snapshot, spec, options)
        coords, dims = _choice_coords(data)
    else:
        data = build_fit_data(snapshot, spec, options)
        coords, dims = _nested_coords(data)
    record = data.stan
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
        log_likelihood=LOG_LIKELIHOOD if getattr(record, "save_log_lik", 0) else None,
    )

    compared = spec.paper_analysis
    signs = paper_signs(paper, compared, spec.subset) if paper is not None and compared else None
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
                "paper_n_conversations": spec.paper_n_conversations,
                "paper_n_participants": spec.paper_n_participants,
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
    ppc, replicated = check(data, run.idata.posterior, seed=profile.seed)
    plot = ppc_plot(data, replicated, ppc, output_dir / "posterior_predictive.png")
    loo = None
    if "log_likelihood" in run.idata.groups():
        loo = pointwise_loo(
            run.idata,
            analysis=spec.analysis,
            subset=spec.subset,
            outcome=spec.outcome,
            fingerprint=data.fingerprint,
        )
    return FitResult(
        spec, data, run, summary, diagnostics, hypothesis_table(summary), draws_path, ppc, plot, loo
    )


def _nested_coords(data: FitData) -> tuple[dict[str, list[object]], dict[str, list[str]]]:
    record = data.stan
    coords: dict[str, list[object]] = {"term": list(data.terms), "model": list(data.model_names)}
    dims = {"b": ["term"], "r_model": ["model"]}
    # Only the brms-style reference program keeps non-centred LLM intercepts.
    dims["z_model" if data.spec.program == "gaussian_nested" else "mu_model"] = ["model"]
    # Participant and conversation intercepts are written only when asked for; the programs
    # that sample them (all but the marginal one) always write their standardised z_*.
    samples_groups = data.spec.program != "gaussian_nested_marginal"
    if samples_groups or record.save_group:
        coords |= {"user": list(data.user_ids), "conversation": list(data.conversation_ids)}
    if record.save_group:
        dims |= {"r_user": ["user"], "r_conv": ["conversation"]}
    if samples_groups:
        dims["z_conv"] = ["conversation"]
        if data.spec.program not in BLOCK_TOTALS:
            dims["z_user"] = ["user"]
    return coords, dims


def _choice_coords(data: FitData) -> tuple[dict[str, list[object]], dict[str, list[str]]]:
    coords: dict[str, list[object]] = {"term": list(data.terms), "model": list(data.model_names)}
    dims = {"b": ["term"], "r_model": ["model"], "r_model_free": ["model_free"]}
    coords["model_free"] = list(data.model_names[:-1])
    if data.spec.random_slopes:
        coords["user"] = list(data.user_ids)
        dims |= {"tau": ["term"], "tau_signed": ["term"], "z_slope": ["user", "term"]}
    return coords, dims


def _write_draws(
    run: SampleResult, data: FitData, profile: SamplingProfile, output_dir: Path
) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{data.spec.name}.nc"
    posterior = run.idata.posterior
    # The standardised z_* and the QR-scale b_tilde are the sampler's coordinates; the file
    # keeps what they stand for (b, and r_* when asked for).
    standardised = [
        name for name in posterior.data_vars if str(name).startswith("z_") or name == "b_tilde"
    ]
    idata = run.idata.copy()
    idata.posterior = posterior.drop_vars(standardised)
    # One value per observation and draw: the fit keeps its LOO summary instead (loo.py).
    if "log_likelihood" in idata.groups():
        del idata.log_likelihood
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
