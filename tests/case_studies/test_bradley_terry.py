"""The Bradley-Terry data record, and parameter recovery of the Stan program (slow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.case_studies.bradley_terry import grouping_data, sum_to_zero_basis
from orchestration.case_studies.rankings import fit_grouping
from orchestration.modeling.engine import QUICK, with_overrides

MODELS = tuple(f"m{k}" for k in range(6))


def simulate_counts(
    b: np.ndarray, r: dict[str, np.ndarray], nu: float, per_pair: int, seed: int
) -> pd.DataFrame:
    """Pair counts drawn from the Davidson model the program states."""
    rng = np.random.default_rng(seed)
    rows = []
    for level, deviation in r.items():
        theta = b + deviation
        for i in range(len(b)):
            for j in range(i + 1, len(b)):
                h = (theta[i] - theta[j]) / 2
                p = np.array([np.exp(h), np.exp(-h), nu])
                a_wins, b_wins, ties = rng.multinomial(per_pair, p / p.sum())
                rows.append(
                    ("gender", level, MODELS[i], MODELS[j], per_pair, a_wins, b_wins, ties, 30)
                )
    frame = pd.DataFrame(
        rows,
        columns=[
            "grouping", "level", "model_a", "model_b", "n_battles", "n_a_wins", "n_b_wins",
            "n_ties", "n_participants",
        ],
    )  # fmt: skip
    # Independent battles (two options each): weight 1.
    return frame.assign(
        weighted_a_wins=frame["n_a_wins"] * 1.0,
        weighted_b_wins=frame["n_b_wins"] * 1.0,
        weighted_ties=frame["n_ties"] * 1.0,
    )


def groups_for(counts: pd.DataFrame) -> pd.DataFrame:
    levels = counts.groupby(["grouping", "level"], as_index=False)["n_battles"].sum()
    return levels.assign(n_participants=30, ranking_status="ranked")


def test_sum_to_zero_basis_is_orthonormal() -> None:
    q = sum_to_zero_basis(21)
    assert q.shape == (21, 20)
    np.testing.assert_allclose(q.T @ q, np.eye(20), atol=1e-12)
    np.testing.assert_allclose(q.sum(axis=0), 0, atol=1e-12)


def test_grouping_data_indexes_levels_and_models() -> None:
    b = np.zeros(len(MODELS))
    counts = simulate_counts(b, {"Female": b, "Male": b}, 0.4, 10, 0)
    data = grouping_data(counts, "gender", ["Male", "Female"], MODELS)
    assert data.levels == ("Female", "Male")
    assert data.stan.J_group == 2 and data.stan.K == 6 and data.stan.N == 30
    assert set(data.stan.group) == {1, 2}
    # the deviations sum to zero over the two levels: a 2 x 1 basis, (1, -1) / sqrt(2)
    assert np.allclose(np.abs(data.stan.Q_level), np.sqrt(0.5))
    assert np.isclose(np.sum(data.stan.Q_level), 0)
    assert data.stan.group[0] == 1 and data.stan.model_a[0] == 1 and data.stan.model_b[0] == 2
    only_female = grouping_data(counts, "gender", ["Female"], MODELS)
    assert only_female.stan.N == 15
    # one level has nothing to deviate from: pooled, no level deviations in the Stan data
    assert only_female.pooled and only_female.stan.J_group == 0
    assert only_female.stan.Q_level == []
    assert only_female.levels == ("Female",)
    # The likelihood reads the weighted counts unless asked for every battle once.
    halved = counts.assign(weighted_a_wins=counts["n_a_wins"] / 2)
    assert grouping_data(halved, "gender", ["Female"], MODELS).stan.n_a_wins == list(
        counts.loc[counts["level"] == "Female", "n_a_wins"] / 2
    )
    unweighted = grouping_data(halved, "gender", ["Female"], MODELS, weighted=False)
    assert unweighted.stan.n_a_wins == list(
        counts.loc[counts["level"] == "Female", "n_a_wins"].astype(float)
    )
    with pytest.raises(ValueError, match="outside the model list"):
        grouping_data(counts, "gender", ["Female"], MODELS[:3])
    with pytest.raises(ValueError, match="no battles"):
        grouping_data(counts, "gender", ["Other"], MODELS)


@pytest.mark.slow
def test_planted_group_deviations_are_recovered() -> None:
    b = np.array([1.0, 0.5, 0.2, 0.0, -0.6, -1.1])
    b -= b.mean()
    planted = np.array([0.6, 0.0, -0.6, 0.0, 0.0, 0.0])
    # Two levels that agree with the population pin down where it lies: with only two
    # levels the population ability (and so each deviation) rests on the prior alone.
    levels = {"Female": planted, "Male": -planted, "Other": 0 * planted, "Unsaid": 0 * planted}
    counts = simulate_counts(b, levels, 0.45, 300, 7)
    profile = with_overrides(QUICK, adapt_delta=0.95)
    fit = fit_grouping(counts, groups_for(counts), "gender", MODELS, profile)
    assert fit is not None
    table = fit.rankings.set_index(["level", "model_name"])
    low, high = table["deviation_q5"], table["deviation_q95"]
    covered = [
        low[(level, m)] <= deviation[k] <= high[(level, m)]
        for level, deviation in levels.items()
        for k, m in enumerate(MODELS)
    ]
    assert sum(covered) >= 20, fit.rankings
    assert table.loc[("Female", "m0"), "deviation_q5"] > 0
    assert table.loc[("Male", "m0"), "deviation_q95"] < 0
    assert table.loc[("Female", "m2"), "deviation_q95"] < 0
    assert fit.diagnostics["divergences"] == 0
    assert fit.diagnostics["tie_nu_mean"] == pytest.approx(0.45, abs=0.1)
