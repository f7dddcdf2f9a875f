"""The pseudo-truth of bench_case_studies: its maximum likelihood Bradley-Terry-Davidson fit finds
the deviations the counts were drawn from, with honest standard errors (logic only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.benchmarks.bench_case_studies import davidson_deviations

LEVELS = ("Female", "Male", "Non-binary")
MODELS = ("a", "b", "c", "d", "e")
NU = 0.4


def _abilities(seed: int) -> np.ndarray:
    theta = np.random.default_rng(seed).normal(0, 0.5, (len(LEVELS), len(MODELS)))
    return theta - theta.mean(axis=1, keepdims=True)


def _counts(theta: np.ndarray, battles: int, rng: np.random.Generator | None) -> pd.DataFrame:
    """Per level and pair, `battles` battles: their expected outcome counts (rng None) or a draw."""
    rows = []
    for g, level in enumerate(LEVELS):
        for i, a in enumerate(MODELS):
            for j in range(i + 1, len(MODELS)):
                h = 0.5 * (theta[g, i] - theta[g, j])
                p = np.array([np.exp(h), np.exp(-h), NU]) / (np.exp(h) + np.exp(-h) + NU)
                n = battles * p if rng is None else rng.multinomial(battles, p)
                rows.append((level, a, MODELS[j], *n))
    return pd.DataFrame(
        rows, columns=["level", "model_a", "model_b", "n_a_wins", "n_b_wins", "n_ties"]
    )


def test_expected_counts_give_back_the_deviations() -> None:
    theta = _abilities(0)
    table = davidson_deviations(_counts(theta, 1000, None))
    expected = (theta - theta.mean(axis=0)).ravel()
    assert table["level"].tolist() == list(np.repeat(LEVELS, len(MODELS)))
    assert table["model_name"].tolist() == list(MODELS) * len(LEVELS)
    np.testing.assert_allclose(table["pseudo_true"], expected, atol=1e-4)


def test_standard_errors_match_the_spread_over_replications() -> None:
    theta = _abilities(1)
    rng = np.random.default_rng(2)
    fits = [davidson_deviations(_counts(theta, 400, rng)) for _ in range(60)]
    spread = np.std([fit["pseudo_true"].to_numpy() for fit in fits], axis=0)
    se = np.mean([fit["pseudo_true_se"].to_numpy() for fit in fits], axis=0)
    # 60 replications estimate an sd to within about 10% (2 sd: 18%).
    np.testing.assert_allclose(se, spread, rtol=0.3)
