"""Rank centrality from choix against the textbook chain, and PRISM's quirk beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.case_studies.rank_centrality import (
    prism_rank_centrality,
    rank_centrality,
    win_matrix,
    win_pairs,
)

MODELS = ("a", "b", "c", "d", "e")


def counts(rows: list[tuple[str, str, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model_a", "model_b", "n_a_wins", "n_b_wins", "n_ties"])


@pytest.fixture
def battles() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    strength = np.array([2.0, 1.0, 0.5, 0.2, 0.1])
    rows = []
    for i in range(len(MODELS)):
        for j in range(i + 1, len(MODELS)):
            n = int(rng.integers(40, 120))
            ties = int(rng.binomial(n, 0.2))
            a_wins = int(rng.binomial(n - ties, strength[i] / (strength[i] + strength[j])))
            rows.append((MODELS[i], MODELS[j], a_wins, n - ties - a_wins, ties))
    return counts(rows)


def test_ties_count_as_a_win_for_both_sides() -> None:
    pairs = win_pairs(counts([("a", "b", 2, 1, 3)]), ("a", "b"))
    assert sorted(pairs) == sorted([(0, 1)] * 5 + [(1, 0)] * 4)
    wins = win_matrix(counts([("a", "b", 2, 1, 3)]), ("a", "b"))
    # one pseudo-count on each off-diagonal cell
    assert wins.tolist() == [[0.0, 6.0], [5.0, 0.0]]


def test_choix_is_textbook_rank_centrality(battles: pd.DataFrame) -> None:
    ours = rank_centrality(battles, MODELS)
    textbook = prism_rank_centrality(battles, MODELS, quirk=False)
    np.testing.assert_allclose(ours.to_numpy(), textbook.to_numpy(), rtol=1e-6)
    assert ours.sum() == pytest.approx(1.0)
    # planted strengths are in order a > b > c > d > e
    assert list(ours.sort_values(ascending=False).index) == list(MODELS)


def test_prism_quirk_changes_the_scores(battles: pd.DataFrame) -> None:
    quirky = prism_rank_centrality(battles, MODELS)
    textbook = prism_rank_centrality(battles, MODELS, quirk=False)
    assert quirky.sum() == pytest.approx(1.0)
    assert np.abs(quirky - textbook).max() > 1e-3
