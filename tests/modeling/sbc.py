"""Simulation-based calibration (Talts et al. 2018) of ``stan/conditional_logit.stan`` and of
the bounded nested programs (``rounded_loglogistic_nested``, ``beta_nested``).

Each replication draws every parameter from the program's prior, draws one pick per choice set
from the model, fits the program, and records the rank of each drawn value among thinned
posterior draws. For a calibrated program (a correct likelihood, prior and sampler) each rank is
uniform on 0..L; a likelihood with a sign error or a wrong normalisation piles ranks at the ends
or the middle. `tests/modeling/test_choice.py` and `tests/modeling/test_bounded.py` run small
SBCs; the benchmark `bench_sbc` runs the full ones and draws the histograms.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats

from orchestration.modeling.choice import ChoiceData
from orchestration.modeling.data import NestedData, ScoreData
from orchestration.modeling.engine import SamplingProfile, sample
from orchestration.modeling.inits import initial_values
from tests.modeling.simulate import ChoiceTruth, Truth, simulate_choices, simulate_outcome

# Posterior draws kept per replication (ranks run 0..RANK_DRAWS).
RANK_DRAWS = 99


def _half_t(rng: np.random.Generator, scale: float, size: int | None = None) -> np.ndarray:
    return np.abs(stats.t.rvs(3, scale=scale, size=size, random_state=rng))


def draw_from_prior(data: ChoiceData, rng: np.random.Generator) -> ChoiceTruth:
    """b, sd_model and (with random slopes) tau from the program's priors."""
    b = rng.normal(0.0, data.prior_b_sd, data.K)
    sd_model = float(_half_t(rng, data.prior_scale))
    tau = _half_t(rng, data.prior_scale, data.K) if data.random_slopes else None
    return ChoiceTruth(b=b, sd_model=sd_model, tau=tau)


def sbc_ranks(
    data: ChoiceData, replications: int, profile: SamplingProfile, seed: int = 0
) -> pd.DataFrame:
    """One row per replication and parameter: ``replication, parameter, rank``.

    The simulated LLM effects are centred normal draws, which is the program's prior under
    its sum-to-zero constraint (the projection of iid normals onto the sum-zero subspace).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for replication in range(replications):
        truth = draw_from_prior(data, rng)
        simulation = simulate_choices(data, truth, seed=int(rng.integers(2**31)))
        run = sample(
            "conditional_logit",
            simulation.data.to_stan(),
            replace(profile, seed=int(rng.integers(2**31))),
        )
        posterior = run.idata.posterior
        drawn = {
            **{f"b[{k}]": (posterior["b"], k, truth.b[k]) for k in range(data.K)},
            "sd_model": (posterior["sd_model"], None, truth.sd_model),
            "r_model[1]": (posterior["r_model"], 0, simulation.r_model[0]),
        }
        if truth.tau is not None:
            drawn |= {f"tau[{k}]": (posterior["tau"], k, truth.tau[k]) for k in range(data.K)}
        for name, (values, index, planted) in drawn.items():
            flat = values.values.reshape(values.sizes["chain"] * values.sizes["draw"], -1)
            column = flat[:, 0 if index is None else index]
            thinned = column[np.linspace(0, column.size - 1, RANK_DRAWS).round().astype(int)]
            rows.append(
                {
                    "replication": replication,
                    "parameter": name,
                    "rank": int((thinned < planted).sum()),
                }
            )
    return pd.DataFrame(rows)


def uniformity_p_values(ranks: pd.DataFrame, bins: int = 5) -> pd.Series:
    """Per parameter, the chi-square test's p-value that its ranks are uniform over `bins`."""
    edges = np.linspace(0, RANK_DRAWS + 1, bins + 1)

    def p_value(values: pd.Series) -> float:
        counts, _ = np.histogram(values, bins=edges)
        return float(stats.chisquare(counts).pvalue)

    return ranks.groupby("parameter")["rank"].apply(p_value)


# The bounded nested programs' scalars whose ranks are checked, beside every coefficient.
NESTED_SCALARS: dict[str, tuple[str, ...]] = {
    "rounded_loglogistic_nested": (
        "sd_model",
        "sd_user",
        "sd_conv",
        "sigma",
        "share_bottom",
        "share_default",
    ),
    "beta_nested": ("sd_model", "sd_user", "sd_conv", "phi"),
}


def draw_nested_from_prior(data: NestedData, program: str, rng: np.random.Generator) -> Truth:
    """Every parameter of a bounded nested program from its prior (the priors in its header).

    The program's intercept is at the predictor means; `Truth` holds the uncentred one.
    """
    scale = data.prior_scale
    b = rng.normal(0.0, data.prior_b_sd, data.K)
    means = np.asarray(data.X, dtype=float).mean(axis=0)
    sds = {name: float(_half_t(rng, scale)) for name in ("sd_model", "sd_user", "sd_conv")}
    if program == "rounded_loglogistic_nested":
        assert isinstance(data, ScoreData)
        centred = np.log(data.default_score) + float(stats.t.rvs(3, scale=scale, random_state=rng))
        share = rng.dirichlet(np.ones(3))
        return Truth(
            centred - float(means @ b),
            b,
            **sds,
            sigma=float(_half_t(rng, scale)),
            share_bottom=float(share[1]),
            share_default=float(share[2]),
        )
    if program == "beta_nested":
        centred = float(stats.t.rvs(3, scale=scale, random_state=rng))
        phi = float(np.exp(rng.normal(np.log(10.0), 1.5)))
        return Truth(centred - float(means @ b), b, **sds, phi=phi)
    raise ValueError(f"no prior draws for {program!r}")


def nested_sbc_ranks(
    data: NestedData,
    program: str,
    replications: int,
    profile: SamplingProfile,
    seed: int = 0,
) -> pd.DataFrame:
    """`sbc_ranks` for ``rounded_loglogistic_nested`` or ``beta_nested``: one row per
    replication and parameter (every coefficient and `NESTED_SCALARS[program]`).

    A beta draw can round to exactly 0 or 1 in floating point when phi is small; such a
    simulation is drawn again (the program's support is the open interval), which leaves the
    prior unchanged to within the rare rejections.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for replication in range(replications):
        while True:
            truth = draw_nested_from_prior(data, program, rng)
            simulation = simulate_outcome(data, truth, seed=int(rng.integers(2**31)))
            y = np.asarray(simulation.data.y, dtype=float)
            if program != "beta_nested" or ((y > 0) & (y < 1)).all():
                break
        run = sample(
            program,
            simulation.data.to_stan(),
            replace(profile, seed=int(rng.integers(2**31))),
            inits=initial_values(program, simulation.data, profile.chains, replication),
        )
        posterior = run.idata.posterior
        planted = {f"b[{k}]": truth.b[k] for k in range(data.K)}
        planted |= {name: getattr(truth, name) for name in NESTED_SCALARS[program]}
        for name, value in planted.items():
            variable, _, index = name.partition("[")
            values = posterior[variable].values.reshape(
                posterior.sizes["chain"] * posterior.sizes["draw"], -1
            )
            column = values[:, int(index[:-1]) if index else 0]
            thinned = column[np.linspace(0, column.size - 1, RANK_DRAWS).round().astype(int)]
            rows.append(
                {
                    "replication": replication,
                    "parameter": name,
                    "rank": int((thinned < value).sum()),
                }
            )
    return pd.DataFrame(rows)
