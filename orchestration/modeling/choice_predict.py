"""How well a fitted model predicts which option of an interaction wins.

Any model with a linear predictor per option predicts the winner of a set through the softmax
of that predictor over the set's options:
- the conditional (mixed) logit by construction;
- the paper's Bernoulli model (1a) too: its independent "is top" coins, conditioned on exactly
  one option winning, give Pr(i wins) = odds_i / sum_j odds_j, where the participant and
  conversation intercepts, shared by every option of a set, cancel.
So both are scored the same way on held-out sets: the log of the posterior mean probability
that the pick falls in the observed top set (`log predictive density`), and whether the option
with the highest posterior mean probability is a top one (`accuracy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CHUNK = 200  # draws per block, to bound memory at full scale


@dataclass(frozen=True)
class ChoiceSets:
    """Options grouped in contiguous sets: rows ``starts[s]:starts[s + 1]`` form set `s`."""

    X: np.ndarray  # options x terms
    top: np.ndarray  # bool, the option is (one of) the top-scored
    starts: np.ndarray  # S + 1 zero-based offsets
    model: np.ndarray  # zero-based LLM index per option
    user: np.ndarray  # zero-based participant index per option (-1: not seen in training)

    @property
    def set_of(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))


@dataclass(frozen=True)
class PredictiveScore:
    log_density: np.ndarray  # per set
    accuracy: np.ndarray  # per set, 0/1

    def total(self) -> tuple[float, float]:
        """Summed log predictive density and its standard error."""
        n = self.log_density.size
        return float(self.log_density.sum()), float(np.sqrt(n) * self.log_density.std(ddof=1))


def score_sets(
    sets: ChoiceSets,
    b: np.ndarray,
    llm: np.ndarray,
    slopes: np.ndarray | None = None,
) -> PredictiveScore:
    """Score held-out `sets` under posterior draws.

    `b` is draws x terms, `llm` draws x LLMs (any per-LLM shift: a constant cancels within a
    set), `slopes` draws x participants x terms or None. A participant not seen in training
    (index -1) gets no slope deviation, the population's average taste.
    """
    set_of = sets.set_of
    n_sets = len(sets.starts) - 1
    probability = np.zeros(len(sets.X))
    top_probability = np.zeros(n_sets)
    draws = b.shape[0]
    for first in range(0, draws, _CHUNK):
        block = slice(first, min(first + _CHUNK, draws))
        eta = b[block] @ sets.X.T + llm[block][:, sets.model]
        if slopes is not None:
            known = sets.user >= 0
            deviation = slopes[block][:, sets.user[known], :]
            eta[:, known] += np.einsum("dnk,nk->dn", deviation, sets.X[known])
        eta -= eta.max(axis=1, keepdims=True)
        odds = np.exp(eta)
        total = np.add.reduceat(odds, sets.starts[:-1], axis=1)
        share = odds / total[:, set_of]
        probability += share.sum(axis=0)
        top_probability += np.add.reduceat(share * sets.top, sets.starts[:-1], axis=1).sum(axis=0)
    probability /= draws
    top_probability /= draws
    best = np.zeros(n_sets, dtype=bool)
    order = np.lexsort((probability, set_of))
    last = np.r_[set_of[order][1:] != set_of[order][:-1], True]
    best[set_of[order[last]]] = sets.top[order[last]]
    return PredictiveScore(np.log(top_probability), best.astype(float))
