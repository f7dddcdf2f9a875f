"""Starting points for ``conditional_logit``: near the plain conditional logit's maximum.

The utilities' coefficients on 0..1 probabilities run to several units, and warmup otherwise
spends most of its steps walking them in from Stan's uniform(-2, 2). The maximum-likelihood
fit without random slopes is a 28-parameter smooth problem that L-BFGS solves in well under a
second at PRISM's size; each chain starts a few standard errors (from the outer product of the
per-set scores) away from it, so R-hat still compares chains that began apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from .choice import ChoiceData

_SCALE_JITTER = 0.5  # log-scale half-width for the sds


@dataclass(frozen=True)
class _ChoiceEstimate:
    theta: np.ndarray  # b, then the first N_model - 1 LLM effects
    se: np.ndarray


class _SetLikelihood:
    """The log likelihood of the top sets and its gradient, in numpy."""

    def __init__(self, data: ChoiceData) -> None:
        starts = np.asarray(data.set_start[:-1]) - 1
        sizes = np.diff(np.asarray(data.set_start))
        self.starts, self.set_of = starts, np.repeat(np.arange(data.S), sizes)
        X = np.asarray(data.X, dtype=float).reshape(data.N, data.K)
        # The LLM effects sum to zero: the last one is minus the sum of the others.
        model = np.zeros((data.N, data.N_model - 1))
        J = np.asarray(data.J_model) - 1
        free = data.N_model - 1 > J
        model[np.flatnonzero(free), J[free]] = 1.0
        model[~free, :] = -1.0
        # Centred within each set, as the program centres its predictors.
        design = np.hstack([X, model])
        means = np.add.reduceat(design, starts, axis=0) / sizes[:, None]
        self.design = design - means[self.set_of]
        self.top = np.asarray(data.y, dtype=float)

    def scores(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Total log likelihood and the per-set score vectors (S x parameters)."""
        eta = self.design @ theta
        odds = np.exp(eta - eta.max())
        all_ = np.add.reduceat(odds, self.starts)
        top = np.add.reduceat(odds * self.top, self.starts)
        loglik = float(np.sum(np.log(top) - np.log(all_)))
        weight = odds * self.top / top[self.set_of] - odds / all_[self.set_of]
        per_set = np.add.reduceat(self.design * weight[:, None], self.starts, axis=0)
        return loglik, per_set


def conditional_logit_estimate(data: ChoiceData) -> _ChoiceEstimate:
    likelihood = _SetLikelihood(data)

    def negative(theta: np.ndarray) -> tuple[float, np.ndarray]:
        loglik, per_set = likelihood.scores(theta)
        # A whisper of ridge keeps an LLM seen in few opening sets finite.
        return -loglik + 5e-4 * theta @ theta, -per_set.sum(axis=0) + 1e-3 * theta

    size = likelihood.design.shape[1]
    result = minimize(negative, np.zeros(size), jac=True, method="L-BFGS-B")
    _, per_set = likelihood.scores(result.x)
    information = per_set.T @ per_set + 1e-3 * np.eye(size)
    se = np.sqrt(np.clip(np.diag(np.linalg.pinv(information)), 0, None))
    return _ChoiceEstimate(result.x, se)


def choice_initial_values(data: ChoiceData, chains: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    estimate = conditional_logit_estimate(data)
    starts = []
    for _ in range(chains):
        theta = estimate.theta + rng.uniform(-2, 2, estimate.theta.size) * estimate.se
        b, free = theta[: data.K], theta[data.K :]
        llm = np.r_[free, -free.sum()]
        start: dict[str, Any] = {
            "b": b,
            "r_model_free": free.tolist(),
            "sd_model": float((np.std(llm) or 0.1) * np.exp(rng.uniform(-0.5, 0.5))),
        }
        if data.random_slopes:
            scale = np.abs(b) * 0.1 + 0.1
            start["tau_signed"] = (
                scale * np.exp(rng.uniform(-1, 1, data.K) * _SCALE_JITTER)
            ).tolist()
            start["z_slope"] = rng.uniform(-0.5, 0.5, (data.N_user, data.K)).tolist()
        starts.append(start)
    # The program samples b_tilde = R b, R from the thin QR decomposition of the predictors
    # centred within their sets, with a positive diagonal as Stan's qr_thin_R has.
    r = _qr_r(data)
    for start in starts:
        start["b_tilde"] = (r @ np.asarray(start.pop("b"))).tolist()
    return starts


def _qr_r(data: ChoiceData) -> np.ndarray:
    X = np.asarray(data.X, dtype=float).reshape(data.N, data.K)
    starts = np.asarray(data.set_start[:-1]) - 1
    sizes = np.diff(np.asarray(data.set_start))
    means = np.add.reduceat(X, starts, axis=0) / sizes[:, None]
    centred = X - means[np.repeat(np.arange(data.S), sizes)]
    r = np.linalg.qr(centred, mode="r")
    return np.sign(np.diag(r))[:, None] * r
