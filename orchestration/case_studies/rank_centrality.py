"""Rank centrality (Negahban, Oh and Shah 2012) over battles, and PRISM's variant of it.

The textbook estimate comes from ``choix``; PRISM's own numpy code is kept beside it only to show
what its quirk changes (``prism_rank_centrality``): it divides most win counts by an unrelated
pair's total, because it pairs ``triu_indices`` with ``tril_indices`` element by element.
"""

from __future__ import annotations

from collections.abc import Sequence

import choix
import numpy as np
import pandas as pd

# PRISM: a pseudo-count of 1 on every off-diagonal cell, transition rates over d_max = 20
# (number of models - 1), and the stationary vector after 1,000 steps.
PSEUDO_COUNT = 1.0
POWER_STEPS = 1000


def win_pairs(counts: pd.DataFrame, models: Sequence[str]) -> list[tuple[int, int]]:
    """(winner, loser) index pairs from pair counts; a tie is a win for both sides, as in PRISM."""
    index = {m: k for k, m in enumerate(models)}
    pairs: list[tuple[int, int]] = []
    for row in counts.itertuples(index=False):
        a, b = index[row.model_a], index[row.model_b]
        pairs += [(a, b)] * (row.n_a_wins + row.n_ties)
        pairs += [(b, a)] * (row.n_b_wins + row.n_ties)
    return pairs


def rank_centrality(counts: pd.DataFrame, models: Sequence[str]) -> pd.Series:
    """Stationary probabilities (summing to 1) of the rank-centrality chain, by model."""
    log_scores = choix.rank_centrality(len(models), win_pairs(counts, models), alpha=PSEUDO_COUNT)
    scores = np.exp(log_scores - log_scores.max())
    return pd.Series(scores / scores.sum(), index=list(models), name="score")


def win_matrix(counts: pd.DataFrame, models: Sequence[str]) -> np.ndarray:
    """wins[i, j]: battles i won against j (ties counted for both), plus the pseudo-count."""
    k = len(models)
    wins = np.full((k, k), PSEUDO_COUNT)
    np.fill_diagonal(wins, 0.0)
    for winner, loser in win_pairs(counts, models):
        wins[winner, loser] += 1
    return wins


def prism_rank_centrality(
    counts: pd.DataFrame, models: Sequence[str], *, quirk: bool = True
) -> pd.Series:
    """PRISM's ``compute_rank_centrality``, to set its numbers beside ours.

    With ``quirk=False`` each cell is divided by its own pair's total, which is textbook rank
    centrality and agrees with ``rank_centrality`` (a test holds them together).
    """
    k = len(models)
    wins = win_matrix(counts, models)
    upper = np.triu_indices(k, 1)
    # The quirk: the i-th upper cell is paired with the i-th lower cell, which (row-major
    # order in both lists) is usually not its transpose.
    lower = np.tril_indices(k, -1) if quirk else (upper[1], upper[0])
    totals = wins[upper] + wins[lower]
    share = wins.copy()
    share[upper] = wins[upper] / totals
    share[lower] = wins[lower] / totals
    # Losers hand probability to winners: column j sends to row i in proportion to i's wins.
    transition = share / (k - 1)
    np.fill_diagonal(transition, 0.0)
    np.fill_diagonal(transition, 1.0 - transition.sum(axis=0))
    scores = np.linalg.matrix_power(transition, POWER_STEPS) @ np.full(k, 1.0 / k)
    return pd.Series(scores / scores.sum(), index=list(models), name="score")
