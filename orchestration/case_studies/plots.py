"""The case studies' figures: model rankings by group, and jury welfare by jury and pool."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# The object-oriented Figure renders through Agg without pyplot's global state, so it is safe in
# Dagster worker threads and needs no display.
from matplotlib.figure import Figure

from .jury import JURIES, POPULATIONS


def rankings_plot(rankings: pd.DataFrame, path: Path) -> Path:
    """Heat map of each model's Bradley-Terry deviation from its overall ability, per ranked
    level, with the level's rank written in each cell; dots mark 5-95% intervals that exclude 0.
    """
    bt = rankings[rankings["method"] == "bradley_terry"]
    overall = bt[bt["grouping"] == "overall"].sort_values("ability", ascending=False)
    models = overall["model_name"].tolist()
    levels = bt[bt["grouping"] != "overall"][["grouping", "level"]].drop_duplicates()
    levels = levels.sort_values(["grouping", "level"])
    labels = [f"{g}: {lv}" for g, lv in zip(levels["grouping"], levels["level"], strict=True)]
    keyed = bt.set_index(["grouping", "level", "model_name"])
    deviation = np.full((len(models), len(labels)), np.nan)
    ranks = np.zeros((len(models), len(labels)), dtype=int)
    sure = np.zeros((len(models), len(labels)), dtype=bool)
    for j, (g, lv) in enumerate(zip(levels["grouping"], levels["level"], strict=True)):
        for i, m in enumerate(models):
            row = keyed.loc[(g, lv, m)]
            deviation[i, j] = row["deviation"]
            ranks[i, j] = row["rank"]
            sure[i, j] = row["deviation_q5"] > 0 or row["deviation_q95"] < 0
    fig = Figure(figsize=(max(8, 0.45 * len(labels) + 4), 0.35 * len(models) + 3))
    ax = fig.add_subplot()
    limit = float(np.nanmax(np.abs(deviation))) if labels else 1.0
    image = ax.imshow(deviation, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    for i in range(len(models)):
        for j in range(len(labels)):
            text = f"{ranks[i, j]}" + ("•" if sure[i, j] else "")
            ax.text(j, i, text, ha="center", va="center", fontsize=6)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    overall_ranks = overall["rank"].astype(int).tolist()
    ax.set_yticks(
        range(len(models)),
        [f"{r}. {m.split('/')[-1]}" for r, m in zip(overall_ranks, models, strict=True)],
        fontsize=7,
    )
    ax.set_title("LLM rankings by group (Bradley-Terry): rank in each cell, colour = deviation")
    fig.colorbar(image, ax=ax, label="ability deviation from overall (logit)")
    fig.tight_layout()
    return _save(fig, path)


def welfare_plot(summary: pd.DataFrame, path: Path) -> Path:
    """Mean welfare score (interquartile range as bars) by jury, per country and population."""
    countries = sorted(summary["country"].unique(), reverse=True)
    populations = list(POPULATIONS)
    juries = [j.name for j in JURIES]
    fig = Figure(figsize=(3.2 * len(populations), 3.0 * len(countries)))
    axes = fig.subplots(len(countries), len(populations), squeeze=False, sharey="row")
    for r, country in enumerate(countries):
        for c, population in enumerate(populations):
            ax = axes[r][c]
            rows = summary[(summary["country"] == country) & (summary["population"] == population)]
            rows = rows.set_index("jury").reindex(juries)
            x = np.arange(len(juries))
            centre = rows["mean_score"].to_numpy()
            # The mean can sit outside the interquartile range of a lumpy distribution.
            low = np.clip(centre - rows["mean_score_q25"].to_numpy(), 0, None)
            high = np.clip(rows["mean_score_q75"].to_numpy() - centre, 0, None)
            colours = ["tab:blue" if j.startswith("rep_") else "tab:orange" for j in juries]
            ax.errorbar(x, centre, yerr=[low, high], fmt="none", ecolor="grey", capsize=2)
            ax.scatter(x, centre, c=colours, zorder=3, s=18)
            ax.set_xticks(x, juries, rotation=60, ha="right", fontsize=7)
            ax.set_title(f"{country}: {population}", fontsize=9)
            if c == 0:
                ax.set_ylabel("welfare: mean score of chosen model")
    fig.suptitle("Jury welfare: representative juries (blue) and skewed pools (orange)")
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)
    return path


def topic_effects_plot(regressions: pd.DataFrame, summary: pd.DataFrame, path: Path) -> Path:
    """Heat map of every topic's coefficients (percentage points), topics by size; a dot marks a
    clustered p below the threshold, a ring one that only PRISM's HC1 errors call significant."""
    terms = [t for t in dict.fromkeys(regressions["term"]) if t != "intercept"]
    topics = summary[summary["topic_id"] >= 0].sort_values("topic_id")
    keyed = regressions.set_index(["topic_id", "term"])
    values = np.full((len(topics), len(terms)), np.nan)
    fig = Figure(figsize=(0.3 * len(terms) + 5, 0.35 * len(topics) + 3))
    ax = fig.add_subplot()
    for i, topic_id in enumerate(topics["topic_id"]):
        for j, term in enumerate(terms):
            if (topic_id, term) not in keyed.index:
                continue
            row = keyed.loc[(topic_id, term)]
            values[i, j] = 100 * row["estimate"]
            if row["is_significant"]:
                ax.plot(j, i, "k.", markersize=4)
            elif row["is_significant_hc1"]:
                ax.plot(j, i, "o", markersize=4, markerfacecolor="none", color="0.3")
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    image = ax.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(terms)), terms, rotation=60, ha="right", fontsize=6)
    labels = [f"{t} (n={n})" for t, n in zip(topics["topic"], topics["size"], strict=True)]
    ax.set_yticks(range(len(topics)), labels, fontsize=7)
    ax.set_title("Who opens which topic: LPM coefficients; dot = clustered p below threshold")
    fig.colorbar(image, ax=ax, label="percentage points vs the reference level")
    fig.tight_layout()
    return _save(fig, path)
