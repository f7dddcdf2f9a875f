"""Data-scaled starting values: one set per chain, named and shaped as each program declares."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from orchestration.modeling.data import NestedData, build_fit_data
from orchestration.modeling.engine import program_path
from orchestration.modeling.inits import initial_values
from orchestration.modeling.specs import (
    AnalysisSpec,
    log_score_rounded_specs,
    log_score_specs,
    mirroring_beta_specs,
    mirroring_specs,
    top_scored_specs,
)

# Each nested program with a spec whose record it reads.
PROGRAM_SPECS: dict[str, AnalysisSpec] = {
    "bernoulli_nested": top_scored_specs()[0],
    "gaussian_nested": log_score_specs()[0],
    "gaussian_nested_marginal": log_score_specs()[0],
    "rounded_loglogistic_nested": log_score_rounded_specs()[0],
    "beta_nested": mirroring_beta_specs()[0],
}


def declared_parameters(program: str) -> set[str]:
    """Names in the program's ``parameters`` block, read from the .stan file itself."""
    text = program_path(program).read_text()
    block = re.search(r"^parameters \{(.*?)^\}", text, re.S | re.M)
    assert block is not None
    return set(re.findall(r"^\s+\S.*?\s(\w+);", block.group(1), re.M))


@pytest.mark.parametrize("program", PROGRAM_SPECS)
def test_every_parameter_gets_a_start_of_its_declared_size(
    program: str, tiny_snapshot: pd.DataFrame
) -> None:
    record = build_fit_data(tiny_snapshot, PROGRAM_SPECS[program]).stan
    chains = initial_values(program, record, chains=3, seed=1)
    assert len(chains) == 3
    sizes = {
        "b": record.K,
        "b_tilde": record.K,
        "mu_model": record.N_model,
        "z_model": record.N_model,
        "z_user": record.N_user,
        "z_conv": record.N_conv,
        "heap_log_odds": 2,
    }
    for start in chains:
        assert set(start) == declared_parameters(program)
        for name, value in start.items():
            assert np.size(value) == sizes.get(name, 1), name
            assert np.all(np.isfinite(value)), name
        signed = "" if program == "gaussian_nested" else "_signed"
        assert all(start[s] > 0 for s in ("sd_model", f"sd_user{signed}", f"sd_conv{signed}"))


def test_starts_sit_on_the_outcome_scale_and_differ_between_chains(
    tiny_snapshot: pd.DataFrame,
) -> None:
    record = build_fit_data(tiny_snapshot, mirroring_specs()[2]).stan
    y = np.asarray(record.y)
    chains = initial_values("gaussian_nested_marginal", record, chains=4, seed=7)
    for start in chains:
        assert abs(start["Intercept"] - y.mean()) <= 0.2 * y.std() + 1e-12
        # log(sigma) starts within 5% of the sd about the conversation means; Stan's default
        # uniform(-2, 2) would start it hundreds of posterior sds away at PRISM's size.
        conversation = np.asarray(record.J_conv)
        means = np.bincount(conversation, y) / np.maximum(np.bincount(conversation), 1)
        within = np.sqrt(np.mean((y - means[conversation]) ** 2))
        assert abs(start["log_sigma"] - np.log(within)) <= 0.05
    assert len({start["log_sigma"] for start in chains}) == 4
    assert initial_values("gaussian_nested_marginal", record, 4, seed=7) == chains


def test_bernoulli_starts_near_the_logistic_fit(tiny_snapshot: pd.DataFrame) -> None:
    record = build_fit_data(tiny_snapshot, top_scored_specs()[0]).stan
    rate = np.asarray(record.y).mean()
    chains = initial_values("bernoulli_nested", record, chains=4, seed=0)
    for start in chains:
        # The LLM means average to about the log-odds of the top rate (the tiny data set has
        # few responses per LLM, hence the wide band).
        assert abs(start["Intercept"] - np.log(rate / (1 - rate))) <= 0.5
        assert "sigma" not in start
    assert len({start["Intercept"] for start in chains}) == 4


def test_logistic_start_recovers_a_planted_coefficient() -> None:
    rng = np.random.default_rng(3)
    n, n_model = 4000, 3
    x = rng.uniform(0, 1, (n, 1))
    model = rng.integers(1, n_model + 1, n)
    log_odds = np.array([-1.0, 0.0, 1.0])[model - 1] + 2.0 * (x[:, 0] - x[:, 0].mean())
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-log_odds))).astype(int)
    record = NestedData(
        N=n, K=1, y=y, X=x, N_model=n_model, J_model=model, N_user=1, N_conv=1,
        J_conv=np.ones(n, dtype=int), J_conv_user=np.ones(1, dtype=int),
        prior_b_sd=2.5, prior_scale=2.5, prior_only=0, save_group=0,
    )  # fmt: skip
    (start,) = initial_values("bernoulli_nested", record, chains=1, seed=0)
    assert abs(start["b"][0] - 2.0) < 0.5
    assert np.allclose(start["mu_model"], [-1.0, 0.0, 1.0], atol=0.3)
