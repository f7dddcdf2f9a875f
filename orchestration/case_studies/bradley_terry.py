"""The Stan data record of ``stan/bradley_terry_groups.stan`` and the rankings read from its draws.

One fit per grouping: the levels of that grouping which are ranked (``marts.dim_ranking_groups``)
share the abilities ``b`` (their mean) and each gets its own deviations ``r_group``, which sum
to zero over the levels. The overall ranking is the same program with no levels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import arviz as az
import numpy as np
import pandas as pd
from scipy.linalg import null_space

PROGRAM = "bradley_terry_groups"
# The parameters whose convergence is checked (the generated abilities are functions of them).
CHECKED = ("b", "r_group", "sd_group", "log_nu")
INTERVAL = (0.05, 0.95)


def sum_to_zero_basis(k: int) -> np.ndarray:
    """An orthonormal K x (K - 1) basis of the vectors whose entries sum to zero."""
    return null_space(np.ones((1, k)))


@dataclass(frozen=True)
class BradleyTerryData:
    """Exactly the data block of the Stan program (1-based indices)."""

    N: int
    K: int
    J_group: int
    model_a: list[int]
    model_b: list[int]
    group: list[int]
    n_a_wins: list[float]  # weighted counts (see `grouping_data`)
    n_b_wins: list[float]
    n_ties: list[float]
    Q_model: list[list[float]]
    Q_level: list[list[float]]
    prior_only: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class GroupingData:
    """One grouping's Stan data with the names behind its indices."""

    grouping: str
    models: tuple[str, ...]
    levels: tuple[str, ...]
    pooled: bool  # one level only (overall, or a grouping with one level ranked): no deviations
    stan: BradleyTerryData
    fingerprint: str


# The counts the likelihood reads: each battle weighted by 2 / its interaction's options
# (``marts.fct_battles.battle_weight``; the program's header says why), or once (PRISM's reading
# of battles as independent).
WEIGHTED_COUNTS = ("weighted_a_wins", "weighted_b_wins", "weighted_ties")
UNWEIGHTED_COUNTS = ("n_a_wins", "n_b_wins", "n_ties")


def grouping_data(
    counts: pd.DataFrame,
    grouping: str,
    levels: Sequence[str],
    models: Sequence[str],
    *,
    weighted: bool = True,
) -> GroupingData:
    """Stan data for the ranked `levels` of `grouping` from ``marts.fct_model_pair_counts``.

    A single level (``overall``, or a grouping with one level large enough) is fitted without
    deviations: with nothing to deviate from, its abilities are the population's. `weighted`
    reads the weighted counts (the default), else every battle once.
    """
    rows = counts[(counts["grouping"] == grouping) & counts["level"].isin(list(levels))]
    rows = rows.sort_values(["level", "model_a", "model_b"]).reset_index(drop=True)
    if rows.empty:
        raise ValueError(f"no battles for grouping {grouping!r} in levels {list(levels)}")
    model_index = {m: k + 1 for k, m in enumerate(models)}
    unknown = sorted(set(rows["model_a"]).union(rows["model_b"]) - set(model_index))
    if unknown:
        raise ValueError(f"battles name models outside the model list: {unknown}")
    a_wins, b_wins, ties = WEIGHTED_COUNTS if weighted else UNWEIGHTED_COUNTS
    level_names = tuple(sorted(set(rows["level"])))
    pooled = len(level_names) == 1
    level_index = {lv: j + 1 for j, lv in enumerate(level_names)}
    stan = BradleyTerryData(
        N=len(rows),
        K=len(models),
        J_group=0 if pooled else len(level_names),
        model_a=[model_index[m] for m in rows["model_a"]],
        model_b=[model_index[m] for m in rows["model_b"]],
        group=[1 if pooled else level_index[lv] for lv in rows["level"]],
        n_a_wins=rows[a_wins].astype(float).tolist(),
        n_b_wins=rows[b_wins].astype(float).tolist(),
        n_ties=rows[ties].astype(float).tolist(),
        Q_model=sum_to_zero_basis(len(models)).tolist(),
        Q_level=[] if pooled else sum_to_zero_basis(len(level_names)).tolist(),
    )
    digest = hashlib.sha256(
        rows[["level", "model_a", "model_b", a_wins, b_wins, ties]].to_csv(index=False).encode()
    ).hexdigest()
    return GroupingData(grouping, tuple(models), level_names, pooled, stan, digest[:16])


def rankings(idata: az.InferenceData, data: GroupingData) -> pd.DataFrame:
    """One row per level and model: ability (mean, 5-95%), its deviation from the mean of the
    levels' abilities with the posterior probability that it is positive, and the rank with its
    interval.

    Rank 1 is the best; a level's ranks come from the posterior mean abilities, and the rank
    interval from the ranks in each draw.
    """
    ability = idata.posterior["ability"].values  # chain, draw, level, model
    ability = ability.reshape(-1, *ability.shape[2:])
    b = idata.posterior["b"].values.reshape(-1, ability.shape[-1])
    frames = []
    for j, level in enumerate(data.levels):
        draws = ability[:, j, :]
        # Rank in each draw: 1 for the highest ability.
        draw_ranks = (-draws).argsort(axis=1).argsort(axis=1) + 1
        deviation = draws - b
        mean = draws.mean(axis=0)
        frames.append(
            pd.DataFrame(
                {
                    "grouping": data.grouping,
                    "level": level,
                    "model_name": data.models,
                    "ability": mean,
                    "ability_q5": np.quantile(draws, INTERVAL[0], axis=0),
                    "ability_q95": np.quantile(draws, INTERVAL[1], axis=0),
                    "deviation": deviation.mean(axis=0),
                    "deviation_q5": np.quantile(deviation, INTERVAL[0], axis=0),
                    "deviation_q95": np.quantile(deviation, INTERVAL[1], axis=0),
                    "prob_deviation_positive": (deviation > 0).mean(axis=0),
                    "rank": pd.Series(-mean).rank(method="min").astype(int).to_numpy(),
                    "rank_q5": np.quantile(draw_ranks, INTERVAL[0], axis=0),
                    "rank_q95": np.quantile(draw_ranks, INTERVAL[1], axis=0),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    if data.pooled:
        out[["deviation", "deviation_q5", "deviation_q95", "prob_deviation_positive"]] = np.nan
    return out
