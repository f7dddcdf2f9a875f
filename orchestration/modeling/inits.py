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

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .choice import ChoiceData
from .choice_inits import choice_initial_values
from .data import NestedData, ScoreData

# The programs that sample the participant and conversation intercepts as non-centred z_*.
_SAMPLED_INTERCEPTS = ("bernoulli_nested", "rounded_loglogistic_nested", "beta_nested")
# Programs that sample each conversation's participant-plus-conversation total from one standard
# normal per conversation (no z_user): see `user_conv_totals` in stan/beta_nested.stan.
BLOCK_TOTALS = ("beta_nested",)


def _inv_logit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


# The scale of the linear predictor of a bounded program, from its outcome.
_LATENT_SCALES: dict[str, Any] = {
    "rounded_loglogistic_nested": lambda y: np.log(y),
    # Clipped: a probability within 1e-9 of 0 or 1 would otherwise set the scale of the starts.
    "beta_nested": lambda y: np.clip(np.log(y / (1.0 - y)), -10.0, 10.0),
}
# Location jitter, in outcome sds (Gaussian) or log-odds (Bernoulli).
_LOCATION_JITTER = 0.2
_SCALE_JITTER = 1.0  # log-scale half-width
_LOG_SIGMA_JITTER = 0.05


def initial_values(
    program: str, data: NestedData | ChoiceData, chains: int, seed: int
) -> list[dict[str, Any]]:
    """One dict of starting values per chain for `program` (a stem under ``stan/``)."""
    if isinstance(data, ChoiceData):
        return choice_initial_values(data, chains, seed)
    rng = np.random.default_rng(seed)
    y = np.asarray(data.y, dtype=float)
    if program == "bernoulli_nested":
        share = float(np.clip(y.mean(), 0.01, 0.99))
        centre, spread = float(np.log(share / (1.0 - share))), 1.0
    else:
        # The bounded programs' linear predictor is on log score or log-odds.
        latent = _LATENT_SCALES.get(program, lambda v: v)(y)
        centre, spread = float(latent.mean()), float(latent.std()) or 1.0
        data = replace(data, y=latent)
    starts = [_chain(program, data, rng, centre, spread) for _ in range(chains)]
    if program != "gaussian_nested":
        estimate = _logistic(data) if program == "bernoulli_nested" else _least_squares(data)
        for start in starts:
            _start_near(start, estimate, rng)
    if program == "gaussian_nested_marginal":
        # This program samples b_tilde = R b, R from the thin QR decomposition of the centred
        # predictors, normalised to a positive diagonal as Stan's qr_thin_R is.
        r = qr_r(data)
        for start in starts:
            start["b_tilde"] = (r @ np.asarray(start.pop("b"))).tolist()
    return starts


def qr_r(data: NestedData) -> np.ndarray:
    """R of the thin QR decomposition of the centred predictors, with a positive diagonal."""
    X = np.asarray(data.X, dtype=float).reshape(data.N, data.K)
    r = np.linalg.qr(X - X.mean(axis=0), mode="r")
    return np.sign(np.diag(r))[:, None] * r


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
    if program != "gaussian_nested":
        # These programs sample the participant and conversation sds with a sign; every chain
        # starts positive.
        values["sd_user_signed"] = values.pop("sd_user")
        values["sd_conv_signed"] = values.pop("sd_conv")
    if program in _SAMPLED_INTERCEPTS:
        # In 1a both sit near zero (posterior medians about 0.01 on the log-odds scale at full
        # scale): a start at 0.1-0.7 made the early warmup walk 9,400 intercepts in with them.
        values["sd_user_signed"] = scale(0.05)
        values["sd_conv_signed"] = scale(0.05)
    if program != "gaussian_nested_marginal":
        # Intercepts start near zero: a wide random start adds noise the size of sd to every row.
        if program not in BLOCK_TOTALS:
            values["z_user"] = rng.uniform(-0.5, 0.5, data.N_user).tolist()
        values["z_conv"] = rng.uniform(-0.5, 0.5, data.N_conv).tolist()
    if program == "gaussian_nested":
        values["sigma"] = scale(0.5)
    if program == "rounded_loglogistic_nested":
        # log(sigma) and the heaps' log-odds have posterior sds of 0.005 to 0.03, so they start
        # near estimates from the data: the within-conversation sd of log score off the heaps,
        # and each heap's excess over its neighbouring scores.
        values["log_sigma"] = float(np.log(_off_heap_sd(data)))
        values["log_sigma"] += float(rng.uniform(-_LOG_SIGMA_JITTER, _LOG_SIGMA_JITTER))
        values["heap_log_odds"] = (_heap_log_odds(data) + rng.uniform(-0.1, 0.1, 2)).tolist()
    elif program == "beta_nested":
        # Beta precision by moments about the conversation means, the spread that is left to phi;
        # log(phi) has a posterior sd of about sqrt(2 / N), so the start stays near the estimate.
        variance = _within_conversation_sd(replace(data, y=_inv_logit(data.y))) ** 2
        mean = float(np.mean(_inv_logit(data.y)))
        phi = max(mean * (1 - mean) / max(variance, 1e-9) - 1, 1.0)
        values["log_phi"] = float(np.log(phi))
        values["log_phi"] += float(rng.uniform(-_LOG_SIGMA_JITTER, _LOG_SIGMA_JITTER))
    elif program == "gaussian_nested_marginal":
        # This program samples log(sigma), whose posterior sd is 1 / sqrt(2 N): a start within a
        # few percent of the within-conversation sd is already overdispersed by several sds.
        values["log_sigma"] = float(np.log(_within_conversation_sd(data) or spread))
        values["log_sigma"] += float(rng.uniform(-_LOG_SIGMA_JITTER, _LOG_SIGMA_JITTER))
    return values


@dataclass(frozen=True)
class _PointEstimate:
    """y on the centred predictors and one dummy per LLM, ignoring the nested intercepts."""

    b: np.ndarray
    b_se: np.ndarray
    mu_model: np.ndarray
    mu_se: np.ndarray


def _design(data: NestedData) -> np.ndarray:
    X = np.asarray(data.X, dtype=float).reshape(data.N, data.K)
    dummies = np.zeros((data.N, data.N_model))
    dummies[np.arange(data.N), np.asarray(data.J_model) - 1] = 1.0
    return np.hstack([X - X.mean(axis=0), dummies])


def _estimate(data: NestedData, coef: np.ndarray, covariance: np.ndarray) -> _PointEstimate:
    se = np.sqrt(np.clip(np.diag(covariance), 0, None))
    return _PointEstimate(coef[: data.K], se[: data.K], coef[data.K :], se[data.K :])


def _least_squares(data: NestedData) -> _PointEstimate:
    y = np.asarray(data.y, dtype=float)
    design = _design(data)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual_var = float(np.mean((y - design @ coef) ** 2))
    return _estimate(data, coef, residual_var * np.linalg.pinv(design.T @ design))


def _logistic(data: NestedData, iterations: int = 8) -> _PointEstimate:
    """Logistic regression by iteratively reweighted least squares, slightly ridged so that an
    LLM whose responses all share one outcome keeps a finite estimate."""
    y = np.asarray(data.y, dtype=float)
    design = _design(data)
    coef = np.zeros(design.shape[1])
    ridge = 1e-3 * np.eye(design.shape[1])
    information = design.T @ design * 0.25 + ridge
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ coef)))
        weight = np.clip(p * (1 - p), 1e-6, None)
        information = design.T @ (design * weight[:, None]) + ridge
        coef = coef + np.linalg.solve(information, design.T @ (y - p) - ridge @ coef)
    return _estimate(data, coef, np.linalg.pinv(information))


def _start_near(start: dict[str, Any], estimate: _PointEstimate, rng: np.random.Generator) -> None:
    """Locations near a point estimate that ignores the nested intercepts, each chain a few
    standard errors away from it.

    Warmup otherwise spends most of its leapfrog steps walking the coefficients in from zero
    (measured on full-scale log score: 84% of the fit's steps).
    """
    b, mu = estimate.b, estimate.mu_model
    start["b"] = (b + rng.uniform(-2, 2, b.size) * estimate.b_se).tolist()
    start["mu_model"] = (mu + rng.uniform(-2, 2, mu.size) * estimate.mu_se).tolist()
    spread = float(np.std(mu)) or float(np.mean(estimate.mu_se)) or 1.0
    start["Intercept"] = float(np.mean(mu) + rng.uniform(-1, 1) * spread / 2)
    start["sd_model"] = spread * float(np.exp(rng.uniform(-0.5, 0.5)))


def _off_heap_sd(data: NestedData) -> float:
    """The within-conversation sd of log score over the rows no heap explains (`data.y` holds
    log scores here), a first guess at the latent rating's sd."""
    assert isinstance(data, ScoreData)
    y = np.asarray(data.y, dtype=float)
    heaps = np.isin(np.rint(np.exp(y)), (1, data.default_score, data.max_score))
    off = replace(data, y=y[~heaps], J_conv=np.asarray(data.J_conv)[~heaps], N=int((~heaps).sum()))
    # Few or no rows off the heaps (small simulated data, where every rating can hit the ceiling)
    # leave nothing to estimate from.
    for guess in (_within_conversation_sd(off) if off.N > 1 else np.nan, float(np.std(y))):
        if np.isfinite(guess) and guess > 0:
            return float(guess)
    return 0.5


def _heap_log_odds(data: NestedData) -> np.ndarray:
    """log(share / latent share) for the bottom and default heaps, from each heap score's
    count above the mean count of the scores beside it (at least 0.5% of the rows)."""
    assert isinstance(data, ScoreData)
    counts = np.bincount(np.rint(np.exp(np.asarray(data.y))).astype(int), minlength=102)
    bottom = counts[1] - counts[2:4].mean()
    d = data.default_score
    default = counts[d] - (counts[d - 2 : d].sum() + counts[d + 1 : d + 3].sum()) / 4
    shares = np.clip(np.array([bottom, default]) / data.N, 0.005, 0.3)
    return np.log(shares / (1.0 - shares.sum()))


def _within_conversation_sd(data: NestedData) -> float:
    """The sd of the outcome about its conversation means, a first guess at sigma."""
    y = np.asarray(data.y, dtype=float)
    conversation = np.asarray(data.J_conv)
    means = np.bincount(conversation, y) / np.maximum(np.bincount(conversation), 1)
    return float(np.sqrt(np.mean((y - means[conversation]) ** 2)))
