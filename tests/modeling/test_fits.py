"""Fits with Stan (slow): parameter recovery, marginal vs direct Gaussian, prior-only runs,
and the end-to-end `run_analysis`. Programs compile once (httpstan caches them on disk)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest

from orchestration.modeling.data import NestedData, build_fit_data
from orchestration.modeling.engine import QUICK, SampleResult, SamplingProfile, sample
from orchestration.modeling.fit import run_analysis
from orchestration.modeling.specs import (
    AnalysisSpec,
    log_score_specs,
    mirroring_specs,
    moderation_spec,
    top_scored_specs,
    toxicity_interaction_spec,
)
from orchestration.modeling.summaries import SUMMARY_COLUMNS
from tests.modeling.simulate import Simulation, Truth, simulate_outcome

pytestmark = pytest.mark.slow

# Paper-like magnitudes, spread wide enough that a few thousand rows order them reliably.
TRUTH_1A = Truth(-1.0, np.array([-2.0, 1.5, -1.0, 0.5, 2.0, -1.5, 1.0]), 0.3, 0.4, 0.4)
TRUTH_1B = Truth(3.3, np.array([-0.66, -0.3, 0.18, -0.16, 1.22, -0.65, 0.4]), 0.2, 0.3, 0.3, 0.6)
# Table 4's compassion column, on a probability-scale outcome.
TRUTH_3 = Truth(
    0.1, np.array([0.288, 0.056, 1.084, 0.034, -0.362, 0.045, -0.458]), 0.03, 0.04, 0.04, 0.1
)
# 1b's terms, then the prompt's toxicity and the product. The product of two small
# probabilities varies little (its posterior sd is about 0.6 on the medium snapshot), so its
# planted value is large enough for the correlation with the truth to measure recovery rather
# than that one term's noise.
TRUTH_INTERACTION = replace(TRUTH_1B, b=np.array([*TRUTH_1B.b, -0.3, 4.0]))
# Analysis 2: 1b's attributes, four moderator main effects, then 28 moderator x attribute
# products (moderator-major, as `moderation_spec` orders them), spread like Table 3.
TRUTH_2 = replace(
    TRUTH_1B,
    b=np.concatenate(
        [
            TRUTH_1B.b,
            [0.3, -0.2, 0.1, 0.25],
            np.linspace(-1.2, 1.2, 28)[np.random.default_rng(5).permutation(28)],
        ]
    ),
)
RECOVERY = SamplingProfile("recovery", chains=2, warmup=300, draws=300, seed=7)


def fit(record: NestedData, program: str, profile: SamplingProfile = QUICK) -> SampleResult:
    return sample(program, record.to_stan(), profile)


def simulated(snapshot: pd.DataFrame, spec: AnalysisSpec, truth: Truth, seed: int) -> NestedData:
    return simulate_outcome(build_fit_data(snapshot, spec).stan, truth, seed).data


def assert_recovers(results: SampleResult | Sequence[SampleResult], truth: Truth) -> None:
    """The issue's recovery rule, over the coefficients of one fit or of replicated fits.

    With few coefficients the share of covering 90% intervals is a coarse statistic (6 of 7
    needed, which a calibrated posterior misses one seed in seven), so the analyses with
    weakly identified terms pool replicated fits of independently simulated outcomes.
    """
    results = [results] if isinstance(results, SampleResult) else list(results)
    draws = [r.idata.posterior["b"].values.reshape(-1, len(truth.b)) for r in results]
    lower = np.concatenate([np.quantile(b, 0.05, axis=0) for b in draws])
    upper = np.concatenate([np.quantile(b, 0.95, axis=0) for b in draws])
    planted = np.tile(truth.b, len(results))
    covered = (lower <= planted) & (planted <= upper)
    assert covered.mean() >= 0.8, f"90% intervals cover {covered.sum()} of {len(planted)}"
    means = np.concatenate([b.mean(axis=0) for b in draws])
    assert np.corrcoef(means, planted)[0, 1] >= 0.95, (means, planted)
    # The programs centre X and recover the uncentred intercept in generated quantities.
    for result in results:
        intercept = result.idata.posterior["b_Intercept"].values.ravel()
        assert abs(intercept.mean() - truth.intercept) < 4 * intercept.std()


@pytest.fixture(scope="session")
def gaussian_simulation(small_snapshot: pd.DataFrame) -> Simulation:
    record = build_fit_data(small_snapshot, log_score_specs()[0]).stan
    return simulate_outcome(record, TRUTH_1B, seed=21)


@pytest.fixture(scope="session")
def gaussian_record(gaussian_simulation: Simulation) -> NestedData:
    return gaussian_simulation.data


@pytest.fixture(scope="session")
def marginal_fit(gaussian_record: NestedData) -> SampleResult:
    return fit(gaussian_record, "gaussian_nested_marginal", RECOVERY)


def test_recovers_1a_top_scored(small_snapshot: pd.DataFrame) -> None:
    record = simulated(small_snapshot, top_scored_specs()[0], TRUTH_1A, seed=31)
    assert_recovers(fit(record, "bernoulli_nested", RECOVERY), TRUTH_1A)


def test_recovers_1b_log_score(marginal_fit: SampleResult) -> None:
    assert_recovers(marginal_fit, TRUTH_1B)
    sd = {n: float(marginal_fit.idata.posterior[n].mean()) for n in ("sd_user", "sd_conv", "sigma")}
    assert sd["sigma"] == pytest.approx(TRUTH_1B.sigma, rel=0.05)
    assert sd["sd_conv"] == pytest.approx(TRUTH_1B.sd_conv, rel=0.3)
    assert sd["sd_user"] == pytest.approx(TRUTH_1B.sd_user, rel=0.5)


def test_recovers_1b_toxicity_interaction(medium_snapshot: pd.DataFrame) -> None:
    # Nine coefficients are too few for a steady coverage share: four replications, 36 intervals.
    spec = toxicity_interaction_spec()
    fits = [
        fit(simulated(medium_snapshot, spec, TRUTH_INTERACTION, seed), spec.program, RECOVERY)
        for seed in (51, 52, 53, 54)
    ]
    assert_recovers(fits, TRUTH_INTERACTION)


def test_recovers_2_moderation(medium_snapshot: pd.DataFrame) -> None:
    record = simulated(medium_snapshot, moderation_spec(), TRUTH_2, seed=61)
    assert len(TRUTH_2.b) == record.K
    assert_recovers(fit(record, "gaussian_nested_marginal", RECOVERY), TRUTH_2)


def test_recovers_3_mirroring(small_snapshot: pd.DataFrame) -> None:
    record = simulated(small_snapshot, mirroring_specs()[2], TRUTH_3, seed=41)
    assert_recovers(fit(record, "gaussian_nested_marginal", RECOVERY), TRUTH_3)


def test_marginal_and_direct_gaussian_agree(
    gaussian_record: NestedData, marginal_fit: SampleResult
) -> None:
    direct = fit(gaussian_record, "gaussian_nested", RECOVERY)
    names = ["b", "b_Intercept", "sd_model", "sd_user", "sd_conv", "sigma"]
    marginal_post = marginal_fit.idata.posterior[names]
    direct_post = direct.idata.posterior[names]
    for name in names:
        m, d = marginal_post[name], direct_post[name]
        mcse = np.hypot(
            az.mcse(marginal_post, var_names=[name])[name].values,
            az.mcse(direct_post, var_names=[name])[name].values,
        )
        gap = np.abs(m.mean(("chain", "draw")).values - d.mean(("chain", "draw")).values)
        assert np.all(gap < 4 * mcse), (name, gap, mcse)
        ratio = m.std(("chain", "draw")).values / d.std(("chain", "draw")).values
        assert np.all((ratio > 0.75) & (ratio < 1.33)), (name, ratio)


def test_marginal_draws_group_intercepts_on_request(gaussian_simulation: Simulation) -> None:
    record = replace(gaussian_simulation.data, save_group=1)
    post = fit(record, "gaussian_nested_marginal").idata.posterior
    assert post["r_user"].shape[-1] == record.N_user
    r_conv = post["r_conv"].mean(("chain", "draw")).values
    assert np.corrcoef(r_conv, gaussian_simulation.r_conv)[0, 1] > 0.6


@pytest.mark.parametrize("program", ["gaussian_nested_marginal", "bernoulli_nested"])
def test_prior_only_returns_the_prior(gaussian_record: NestedData, program: str) -> None:
    record = replace(gaussian_record, prior_only=1, prior_b_sd=2.5)
    if program == "bernoulli_nested":
        record = replace(record, y=(record.y > np.median(record.y)).astype(int))
    b = fit(record, program, replace(QUICK, draws=500)).idata.posterior["b"].values.ravel()
    assert abs(b.mean()) < 0.3
    assert b.std() == pytest.approx(2.5, rel=0.15)


def test_sample_runs_inside_an_event_loop(tiny_snapshot: pd.DataFrame) -> None:
    record = build_fit_data(tiny_snapshot, log_score_specs()[0]).stan
    tiny = SamplingProfile("tiny", chains=1, warmup=50, draws=50)

    async def caller() -> SampleResult:
        return sample("gaussian_nested_marginal", record.to_stan(), tiny)

    result = asyncio.run(caller())
    assert result.engine == "pystan"
    assert result.idata.posterior.sizes["draw"] == 50


def test_run_analysis_end_to_end(tiny_snapshot: pd.DataFrame, tmp_path: Path) -> None:
    spec = moderation_spec()
    result = run_analysis(spec, tiny_snapshot, QUICK, output_dir=tmp_path)
    assert tuple(result.summary.columns) == SUMMARY_COLUMNS
    coefficients = result.summary[result.summary["hypothesis"].notna()]
    assert coefficients["term"].tolist() == list(spec.terms)
    assert (result.summary["data_fingerprint"] == result.data.fingerprint).all()
    diagnostics = result.diagnostics.iloc[0]
    assert diagnostics["n_rows"] == result.data.stan.N
    assert diagnostics["engine"] == "pystan"
    assert diagnostics["draws"] == QUICK.draws
    assert {"max_r_hat", "min_ess_bulk", "divergences", "min_ebfmi", "passed"} <= set(
        result.diagnostics.columns
    )
    assert len(result.hypotheses) == len(spec.terms)
    saved = az.from_netcdf(result.draws_path)
    assert saved.posterior.attrs["data_fingerprint"] == result.data.fingerprint
    assert saved.posterior["b"].coords["term"].values.tolist() == list(spec.terms)
    assert "z_model" not in saved.posterior
    assert len(saved.posterior["r_model"].coords["model"]) == result.data.stan.N_model
