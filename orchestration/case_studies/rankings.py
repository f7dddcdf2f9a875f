"""Model rankings overall and within groups: the Bradley-Terry fits, rank centrality beside them,
and the levels that are too small to rank, in one table (``analysis.model_rankings``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd

from orchestration.modeling.engine import DEFAULT_CMDSTAN_BUILDS, Engine, SamplingProfile, sample
from orchestration.modeling.summaries import FitDiagnostics

from .bradley_terry import CHECKED, PROGRAM, GroupingData, grouping_data, rankings
from .rank_centrality import prism_rank_centrality, rank_centrality

RANKED = "ranked"
COLUMNS = (
    "method",
    "grouping",
    "level",
    "model_name",
    "ranking_status",
    "rank",
    "rank_q5",
    "rank_q95",
    "ability",
    "ability_q5",
    "ability_q95",
    "deviation",
    "deviation_q5",
    "deviation_q95",
    "prob_deviation_positive",
    "battles",
    "level_battles",
    "level_participants",
)


@dataclass(frozen=True)
class GroupingFit:
    data: GroupingData
    rankings: pd.DataFrame
    diagnostics: dict[str, object]


def ranked_levels(groups: pd.DataFrame, grouping: str) -> list[str]:
    rows = groups[(groups["grouping"] == grouping) & (groups["ranking_status"] == RANKED)]
    return sorted(rows["level"])


def diagnose(idata: az.InferenceData, max_treedepth: int) -> FitDiagnostics:
    """Worst convergence statistics over the sampled parameters (empty ones left out).

    The same statistics as ``modeling.summaries.fit_diagnostics``, which checks the paper's
    parameter names; here they are this program's, and a pooled fit has no ``r_group``.
    """
    names = [n for n in CHECKED if n in idata.posterior and idata.posterior[n].size > 0]
    stats = idata.sample_stats

    def extreme(dataset: az.InferenceData, pick) -> float:
        return float(pick(np.concatenate([np.ravel(v.values) for v in dataset.data_vars.values()])))

    return FitDiagnostics(
        max_r_hat=extreme(az.rhat(idata, var_names=names), np.max),
        min_ess_bulk=extreme(az.ess(idata, var_names=names, method="bulk"), np.min),
        min_ess_tail=extreme(az.ess(idata, var_names=names, method="tail"), np.min),
        divergences=int(stats["diverging"].values.sum()),
        min_ebfmi=float(np.min(az.bfmi(idata))),
        treedepth_hits=int((stats["tree_depth"].values >= max_treedepth).sum()),
        n_draws=int(stats.sizes["chain"] * stats.sizes["draw"]),
    )


def fit_grouping(
    counts: pd.DataFrame,
    groups: pd.DataFrame,
    grouping: str,
    models: Sequence[str],
    profile: SamplingProfile,
    *,
    engine: Engine | None = None,
    cmdstan_builds: Path = DEFAULT_CMDSTAN_BUILDS,
    weighted: bool = True,
) -> GroupingFit | None:
    """The Bradley-Terry fit of one grouping's ranked levels; None when no level is ranked.

    `engine` None means the engine adapter's own choice; `cmdstan_builds` is where cmdstanpy
    keeps its executables; `weighted` False counts every battle once (see `grouping_data`).
    """
    levels = ranked_levels(groups, grouping)
    if not levels:
        return None
    data = grouping_data(counts, grouping, levels, models, weighted=weighted)
    result = sample(
        PROGRAM, data.stan.as_dict(), profile, engine=engine, cmdstan_builds=cmdstan_builds
    )
    verdict = diagnose(result.idata, profile.max_treedepth)
    diagnostics: dict[str, object] = {
        "grouping": grouping,
        "levels": len(data.levels),
        "rows": data.stan.N,
        "data_fingerprint": data.fingerprint,
        "battle_weighting": "interaction" if weighted else "none",
        "engine": f"{result.engine} {result.engine_version}",
        "profile": profile.name,
        "sample_seconds": round(result.sample_seconds, 1),
        "sd_group_mean": float(result.idata.posterior["sd_group"].mean())
        if not data.pooled
        else float("nan"),
        "tie_nu_mean": float(result.idata.posterior["nu"].mean()),
        **verdict.as_row(),
    }
    return GroupingFit(data, rankings(result.idata, data), diagnostics)


def model_battles(counts: pd.DataFrame) -> pd.DataFrame:
    """Battles each model fought in each grouping and level."""
    long = pd.concat(
        [
            counts[["grouping", "level", "model_a", "n_battles"]].rename(
                columns={"model_a": "model_name"}
            ),
            counts[["grouping", "level", "model_b", "n_battles"]].rename(
                columns={"model_b": "model_name"}
            ),
        ]
    )
    return (
        long.groupby(["grouping", "level", "model_name"], as_index=False)["n_battles"]
        .sum()
        .rename(columns={"n_battles": "battles"})
    )


def centrality_rankings(
    counts: pd.DataFrame, groups: pd.DataFrame, models: Sequence[str]
) -> pd.DataFrame:
    """Rank centrality (ours, via choix) and PRISM's quirky variant for every ranked level."""
    frames = []
    for row in groups[groups["ranking_status"] == RANKED].itertuples(index=False):
        level_counts = counts[(counts["grouping"] == row.grouping) & (counts["level"] == row.level)]
        for method, scores in (
            ("rank_centrality", rank_centrality(level_counts, models)),
            ("rank_centrality_prism", prism_rank_centrality(level_counts, models)),
        ):
            frames.append(
                pd.DataFrame(
                    {
                        "method": method,
                        "grouping": row.grouping,
                        "level": row.level,
                        "model_name": list(models),
                        "ability": scores.to_numpy(),
                        "rank": scores.rank(ascending=False, method="min").astype(int).to_numpy(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def assemble(
    bradley_terry: pd.DataFrame,
    centrality: pd.DataFrame,
    counts: pd.DataFrame,
    groups: pd.DataFrame,
    models: Sequence[str],
) -> pd.DataFrame:
    """``analysis.model_rankings``: every method's rows, plus unranked levels with null ranks."""
    ranked = pd.concat(
        [bradley_terry.assign(method="bradley_terry"), centrality], ignore_index=True
    )
    unranked = groups[groups["ranking_status"] != RANKED][["grouping", "level"]]
    unranked = unranked.merge(pd.DataFrame({"model_name": list(models)}), how="cross")
    table = pd.concat([ranked, unranked.assign(method="none")], ignore_index=True)
    sizes = groups.rename(
        columns={"n_battles": "level_battles", "n_participants": "level_participants"}
    )[["grouping", "level", "ranking_status", "level_battles", "level_participants"]]
    table = table.merge(sizes, on=["grouping", "level"], how="left")
    table = table.merge(model_battles(counts), on=["grouping", "level", "model_name"], how="left")
    table["battles"] = table["battles"].fillna(0).astype(int)
    for column in COLUMNS:
        if column not in table:
            table[column] = np.nan
    table["rank"] = table["rank"].astype("Int64")
    return (
        table[list(COLUMNS)]
        .sort_values(["method", "grouping", "level", "rank", "model_name"])
        .reset_index(drop=True)
    )
