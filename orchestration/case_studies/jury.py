"""PRISM's welfare juries: does a larger or more representative jury pick a model that serves
people better, minorities included?

A jury of n participants is drawn with replacement from a pool; it scores each model by its
jurors' mean rating (a model no juror rated scores 1, PRISM's floor) and picks the highest,
ties broken at random. The chosen model's welfare for a population is that population's mean
rating of it, its veto share and its choice rate.

Unlike PRISM's notebook, whose single `random.seed(1)` makes every draw depend on the loop order,
each (country, jury) cell has its own stream spawned from the seed, so one cell's draws do not
change when another cell is added.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

DRAWS = 1000
SEED = 1
NO_RATING_SCORE = 1.0
REP_SIZES = (10, 20, 50, 100)
SKEWED_SIZE = 100
COUNTRIES = ("US", "UK")


@dataclass(frozen=True)
class Jury:
    """A jury design: its pool (a participant predicate) and size."""

    name: str
    pool: str  # the column of `participants` that selects the pool within a country's sample
    size: int


JURIES: tuple[Jury, ...] = (
    *(Jury(f"rep_{n}", "everyone", n) for n in REP_SIZES),
    Jury("male_100", "is_male", SKEWED_SIZE),
    Jury("white_100", "is_white", SKEWED_SIZE),
    Jury("older_100", "is_older", SKEWED_SIZE),
)
# The populations whose welfare is measured; "Prefer not to say" counts as non-male and
# non-white, as in PRISM's notebook.
POPULATIONS: dict[str, str] = {
    "everyone": "everyone",
    "non_male": "is_non_male",
    "non_white": "is_non_white",
    "younger": "is_younger",
}


def participant_flags(participants: pd.DataFrame) -> pd.DataFrame:
    """Pool and population flags from ``marts.dim_participants`` columns, indexed by user_id."""
    older_bands = ("45-54 years old", "55-64 years old", "65+ years old")
    younger_bands = ("18-24 years old", "25-34 years old", "35-44 years old")
    return pd.DataFrame(
        {
            "everyone": True,
            "is_male": participants["gender"].eq("Male"),
            "is_non_male": participants["gender"].ne("Male"),
            "is_white": participants["ethnicity_simplified"].eq("White"),
            "is_non_white": participants["ethnicity_simplified"].ne("White"),
            "is_older": participants["age"].isin(older_bands),
            "is_younger": participants["age"].isin(younger_bands),
        }
    ).set_index(participants["user_id"])


@dataclass(frozen=True)
class RatingTables:
    """Participants x models matrices of one country's sample (NaN where never shown)."""

    users: pd.Index
    models: pd.Index
    score: np.ndarray
    veto: np.ndarray
    choice: np.ndarray


def rating_tables(ratings: pd.DataFrame, users: pd.Index, models: pd.Index) -> RatingTables:
    """Wide tables from ``marts.fct_participant_model_ratings`` for `users` and `models`."""
    rows = ratings[ratings["user_id"].isin(users)]

    def wide(column: str) -> np.ndarray:
        table = rows.pivot(index="user_id", columns="model_name", values=column)
        return table.reindex(index=users, columns=models).to_numpy(dtype=float)

    return RatingTables(users, models, wide("mean_score"), wide("veto_rate"), wide("choice_rate"))


def jury_choices(
    score: np.ndarray, pool: np.ndarray, size: int, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """The model index each of `draws` juries of `size` from rows `pool` of `score` picks."""
    jurors = rng.choice(pool, size=(draws, size), replace=True)
    rated = ~np.isnan(score)
    sums = np.nan_to_num(score)[jurors].sum(axis=1)
    counts = rated[jurors].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        jury_score = np.where(counts > 0, sums / counts, NO_RATING_SCORE)
    best = jury_score == jury_score.max(axis=1, keepdims=True)
    # Random tie-breaking: the largest uniform key among the tied maxima wins.
    keys = np.where(best, rng.random(best.shape), -1.0)
    return keys.argmax(axis=1)


def simulate(
    ratings: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    draws: int = DRAWS,
    seed: int = SEED,
) -> pd.DataFrame:
    """One row per country, jury, draw and population: the chosen model and its welfare.

    `ratings` is ``marts.fct_participant_model_ratings``; `participants` has the columns of
    ``marts.dim_participants`` that `participant_flags` reads.
    """
    flags = participant_flags(participants)
    models = pd.Index(sorted(ratings["model_name"].unique()), name="model_name")
    frames = []
    seeds = np.random.SeedSequence(seed).spawn(len(COUNTRIES) * len(JURIES))
    for c, country in enumerate(COUNTRIES):
        sample_col = "is_us_rep" if country == "US" else "is_uk_rep"
        users = pd.Index(sorted(ratings.loc[ratings[sample_col], "user_id"].unique()))
        if users.empty:
            continue
        tables = rating_tables(ratings, users, models)
        user_flags = flags.reindex(users).fillna(False).astype(bool)
        welfare = _population_welfare(tables, user_flags)
        for j, jury in enumerate(JURIES):
            pool = np.flatnonzero(user_flags[jury.pool].to_numpy())
            if pool.size == 0:
                continue
            rng = np.random.default_rng(seeds[c * len(JURIES) + j])
            chosen = jury_choices(tables.score, pool, jury.size, draws, rng)
            for population, table in welfare.items():
                frames.append(
                    pd.DataFrame(
                        {
                            "country": country,
                            "jury": jury.name,
                            "jury_pool": jury.pool,
                            "jury_size": jury.size,
                            "pool_size": pool.size,
                            "draw": np.arange(draws),
                            "population": population,
                            "population_size": int(table["n"]),
                            "chosen_model": models[chosen],
                            "mean_score": table["score"][chosen],
                            "veto_share": table["veto"][chosen],
                            "choice_rate": table["choice"][chosen],
                        }
                    )
                )
    return pd.concat(frames, ignore_index=True)


def _population_welfare(
    tables: RatingTables, user_flags: pd.DataFrame
) -> dict[str, dict[str, np.ndarray | int]]:
    """Each population's nan-mean score, veto share and choice rate of every model."""
    out: dict[str, dict[str, np.ndarray | int]] = {}
    for population, column in POPULATIONS.items():
        rows = user_flags[column].to_numpy()
        # A population that never rated a model has no welfare for it (NaN), as expected.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            out[population] = {
                "n": int(rows.sum()),
                "score": np.nanmean(tables.score[rows], axis=0),
                "veto": np.nanmean(tables.veto[rows], axis=0),
                "choice": np.nanmean(tables.choice[rows], axis=0),
            }
    return out


def summarise(draws: pd.DataFrame) -> pd.DataFrame:
    """Mean and interquartile range of welfare over draws, per country, jury and population."""
    keys = ["country", "jury", "jury_pool", "jury_size", "population"]
    grouped = draws.groupby(keys, sort=False)
    out = grouped.agg(
        draws=("draw", "size"),
        pool_size=("pool_size", "first"),
        population_size=("population_size", "first"),
        mean_score=("mean_score", "mean"),
        mean_score_q25=("mean_score", lambda s: s.quantile(0.25)),
        mean_score_q75=("mean_score", lambda s: s.quantile(0.75)),
        veto_share=("veto_share", "mean"),
        choice_rate=("choice_rate", "mean"),
        distinct_models_chosen=("chosen_model", "nunique"),
    )
    return out.reset_index()
