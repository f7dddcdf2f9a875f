"""Starting points for the chains, set on the scale of the data.

Stan's default draws every unconstrained parameter from uniform(-2, 2), so a residual sd starts
anywhere between 0.14 and 7.4. With 68,000 responses whose outcome varies by 0.1 (a mirroring
fit) the start then lies hundreds of posterior sds away, and the early warmup spends most of
the fit's time in tiny steps; measured on one full-scale mirroring chain, data-scaled starts cut
its wall time from 40 s to 13 s and left a step size 18 times larger.

Every chain still starts somewhere different: the scales are jittered by a factor in
exp(uniform(-1, 1)) and the location parameters by a fraction of the outcome's sd, so R-hat
still compares chains that began apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import NestedData

# Location jitter, in outcome sds (Gaussian) or log-odds (Bernoulli).
_LOCATION_JITTER = 0.2
_SCALE_JITTER = 1.0  # log-scale half-width
_LOG_SIGMA_JITTER = 0.05


def initial_values(program: str, data: NestedData, chains: int, seed: int) -> list[dict[str, Any]]:
    """One dict of starting values per chain for `program` (a stem under ``stan/``)."""
    rng = np.random.default_rng(seed)
    y = np.asarray(data.y, dtype=float)
    if program == "bernoulli_nested":
        share = float(np.clip(y.mean(), 0.01, 0.99))
        centre, spread = float(np.log(share / (1.0 - share))), 1.0
    else:
        centre, spread = float(y.mean()), float(y.std()) or 1.0
    starts = [_chain(program, data, rng, centre, spread) for _ in range(chains)]
    if program == "gaussian_nested_marginal":
        ols = _least_squares(data)
        for start in starts:
            _start_at_least_squares(start, ols, rng)
    return starts


def _chain(
    program: str, data: NestedData, rng: np.random.Generator, centre: float, spread: float
) -> dict[str, Any]:
    def scale(fraction: float) -> float:
        return fraction * spread * float(np.exp(rng.uniform(-_SCALE_JITTER, _SCALE_JITTER)))

    def jitter(size: int | None = None) -> Any:
        return rng.uniform(-_LOCATION_JITTER, _LOCATION_JITTER, size) * spread

    intercept = centre + float(jitter())
    values: dict[str, Any] = {
        "Intercept": intercept,
        "b": jitter(data.K).tolist(),
        "sd_model": scale(0.25),
        "sd_user": scale(0.25),
        "sd_conv": scale(0.25),
    }
    if program == "gaussian_nested":
        values["z_model"] = rng.uniform(-0.5, 0.5, data.N_model).tolist()
    else:
        values["mu_model"] = (intercept + jitter(data.N_model) / 2).tolist()
    if program == "gaussian_nested_marginal":
        # This program samples the two nested sds as their total and the participant's share.
        sd_user, sd_conv = values.pop("sd_user"), values.pop("sd_conv")
        values["sd_nested"] = float(np.hypot(sd_user, sd_conv))
        values["share_user"] = sd_user**2 / (sd_user**2 + sd_conv**2)
    else:
        # Intercepts start near zero: a wide random start adds noise the size of sd to every row.
        values["z_user"] = rng.uniform(-0.5, 0.5, data.N_user).tolist()
        values["z_conv"] = rng.uniform(-0.5, 0.5, data.N_conv).tolist()
    if program == "gaussian_nested":
        values["sigma"] = scale(0.5)
    elif program == "gaussian_nested_marginal":
        # This program samples log(sigma), whose posterior sd is 1 / sqrt(2 N): a start within a
        # few percent of the within-conversation sd is already overdispersed by several sds.
        values["log_sigma"] = float(np.log(_within_conversation_sd(data) or spread))
        values["log_sigma"] += float(rng.uniform(-_LOG_SIGMA_JITTER, _LOG_SIGMA_JITTER))
    return values


@dataclass(frozen=True)
class _LeastSquares:
    """y on the centred predictors and one dummy per LLM, ignoring the nested intercepts."""

    b: np.ndarray
    b_se: np.ndarray
    mu_model: np.ndarray
    mu_se: np.ndarray


def _least_squares(data: NestedData) -> _LeastSquares:
    y = np.asarray(data.y, dtype=float)
    X = np.asarray(data.X, dtype=float).reshape(data.N, data.K)
    dummies = np.zeros((data.N, data.N_model))
    dummies[np.arange(data.N), np.asarray(data.J_model) - 1] = 1.0
    design = np.hstack([X - X.mean(axis=0), dummies])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual_var = float(np.mean((y - design @ coef) ** 2))
    se = np.sqrt(residual_var * np.diag(np.linalg.pinv(design.T @ design)))
    return _LeastSquares(coef[: data.K], se[: data.K], coef[data.K :], se[data.K :])


def _start_at_least_squares(
    start: dict[str, Any], ols: _LeastSquares, rng: np.random.Generator
) -> None:
    """Locations near the least-squares fit, each chain a few standard errors apart.

    The marginal program's warmup otherwise spends most of its leapfrog steps walking the
    coefficients in from zero (measured on full-scale log score: 84% of the fit's steps).
    """
    start["b"] = (ols.b + rng.uniform(-2, 2, ols.b.size) * ols.b_se).tolist()
    start["mu_model"] = (ols.mu_model + rng.uniform(-2, 2, ols.mu_model.size) * ols.mu_se).tolist()
    spread = float(np.std(ols.mu_model)) or float(np.mean(ols.mu_se)) or 1.0
    start["Intercept"] = float(np.mean(ols.mu_model) + rng.uniform(-1, 1) * spread / 2)
    start["sd_model"] = spread * float(np.exp(rng.uniform(-0.5, 0.5)))


def _within_conversation_sd(data: NestedData) -> float:
    """The sd of the outcome about its conversation means, a first guess at sigma."""
    y = np.asarray(data.y, dtype=float)
    conversation = np.asarray(data.J_conv)
    means = np.bincount(conversation, y) / np.maximum(np.bincount(conversation), 1)
    return float(np.sqrt(np.mean((y - means[conversation]) ** 2)))
