"""Figures in the style of the paper's Figure 1: coefficient intervals (1a, 1b) and the
prompt-by-response mirroring matrix (1c). They read `posterior_summary` frames only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

# The object-oriented Figure renders to files through Agg without pyplot's global state, so
# plotting is safe in Dagster worker threads and never needs a display.
from matplotlib.figure import Figure

from .specs import ALL, ATTRIBUTES, CONVERSATION_TYPES

# Figure 1a/1b's y-axis, top to bottom.
PAPER_ORDER: tuple[str, ...] = (
    "personal_story",
    "compassion",
    "respect",
    "affinity",
    "curiosity",
    "toxicity",
    "reasoning_nuance",
)


def label(attribute: str) -> str:
    """The paper's axis label: 'REASONING/NUANCE', 'PERSONAL STORY'."""
    return attribute.replace("reasoning_nuance", "reasoning/nuance").replace("_", " ").upper()


def coefficient_plot(
    summary: pd.DataFrame,
    analysis: str,
    path: Path,
    *,
    subsets: Sequence[str] = (ALL, *CONVERSATION_TYPES),
    paper: pd.DataFrame | None = None,
    title: str | None = None,
) -> Path:
    """One panel per subset: posterior mean and 90% interval of each attribute's coefficient.

    `paper` (normalised seed rows for the same analysis) adds the published estimates as open
    markers, so a reader sees both at once.
    """
    rows = summary[(summary["analysis"] == analysis) & summary["term"].isin(PAPER_ORDER)]
    present = [s for s in subsets if (rows["subset"] == s).any()]
    if not present:
        raise ValueError(f"no coefficients for {analysis} in subsets {list(subsets)}")
    fig = Figure(figsize=(3.2 * len(present) + 1.2, 3.6))
    axes = fig.subplots(1, len(present), sharey=True, squeeze=False)
    positions = {term: len(PAPER_ORDER) - 1 - i for i, term in enumerate(PAPER_ORDER)}
    for ax, subset in zip(axes[0], present, strict=True):
        panel = rows[rows["subset"] == subset].set_index("term")
        y = np.array([positions[t] for t in panel.index])
        ax.axvline(0.0, color="0.6", lw=0.8, ls="--")
        ax.hlines(y, panel["q5"], panel["q95"], color="tab:blue", lw=2.2)
        ax.plot(panel["mean"], y, "o", color="tab:blue", ms=5, label="this fit (90% interval)")
        extent = np.abs(panel[["q5", "q95"]].to_numpy()).ravel()
        if paper is not None:
            published = paper[(paper["subset"] == subset) & paper["term"].isin(PAPER_ORDER)]
            extent = np.concatenate([extent, np.abs(published["estimate"].to_numpy(float))])
            ax.plot(
                published["estimate"],
                [positions[t] for t in published["term"]],
                "o",
                mfc="none",
                color="tab:red",
                ms=8,
                label="paper",
            )
        ax.set_title(subset)
        ax.set_xlabel("coefficient")
        ax.grid(axis="x", color="0.9")
        span = max(2.0, float(np.nanmax(extent)) * 1.1)
        ax.set_xlim(-span, span)
    axes[0][0].set_yticks(list(positions.values()), [label(t) for t in positions])
    # Below the panels: inside one, the legend covers the bottom row's markers.
    handles, labels = axes[0][-1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=7, frameon=False)
    fig.suptitle(title or analysis)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return _save(fig, path)


def mirroring_matrix(summary: pd.DataFrame, path: Path, *, analysis: str = "mirroring") -> Path:
    """Figure 1c: prompt attributes (columns) by response attributes (rows); colour is the
    coefficient, area its magnitude, and a cross marks evidence ratios of 10 or less."""
    rows = summary[(summary["analysis"] == analysis) & summary["hypothesis"].notna()]
    if rows.empty:
        raise ValueError(f"no coefficients for {analysis}")
    fig = Figure(figsize=(7.0, 6.0))
    ax = fig.subplots()
    xs, ys, values, weak = [], [], [], []
    for j, dv in enumerate(ATTRIBUTES):
        fit = rows[rows["subset"] == f"response_{dv}"].set_index("term")
        for i, predictor in enumerate(ATTRIBUTES):
            term = f"opening_prompt_{predictor}"
            if term not in fit.index:
                continue
            xs.append(i)
            ys.append(len(ATTRIBUTES) - 1 - j)
            values.append(float(fit.loc[term, "mean"]))
            weak.append(float(fit.loc[term, "evidence_ratio"]) <= 10)
    values_arr = np.array(values)
    points = ax.scatter(
        xs,
        ys,
        c=values_arr,
        s=80 + 900 * np.clip(np.abs(values_arr), 0, 1),
        cmap="coolwarm",
        vmin=-0.5,
        vmax=1.0,
        edgecolors="0.3",
        linewidths=0.5,
    )
    weak_arr = np.array(weak, dtype=bool)
    ax.scatter(np.array(xs)[weak_arr], np.array(ys)[weak_arr], marker="x", color="k", s=40)
    ticks = range(len(ATTRIBUTES))
    ax.set_xticks(list(ticks), [label(a) for a in ATTRIBUTES], rotation=45, ha="right")
    ax.set_yticks(list(ticks), [label(a) for a in reversed(ATTRIBUTES)])
    ax.set_xlabel("Human prompt attributes (predictors)")
    ax.set_ylabel("LLM response attributes (DVs)")
    ax.set_xlim(-0.6, len(ATTRIBUTES) - 0.4)
    ax.set_ylim(-0.6, len(ATTRIBUTES) - 0.4)
    fig.colorbar(points, ax=ax, label="coefficient")
    fig.tight_layout()
    return _save(fig, path)


def figure_1(
    summary: pd.DataFrame, out_dir: Path, *, paper: pd.DataFrame | None = None
) -> list[Path]:
    """The paper's Figure 1 (a: top-scored, b: log score, all data; c: mirroring) plus the
    supplementary per-conversation-type panels, for whichever analyses `summary` holds."""
    written = []
    for panel, analysis, paper_id in (("1a", "top_scored", "1a"), ("1b", "log_score", "1b")):
        if (summary["analysis"] == analysis).any():
            published = paper[paper["analysis"] == paper_id] if paper is not None else None
            written.append(
                coefficient_plot(
                    summary,
                    analysis,
                    out_dir / f"figure_{panel}_{analysis}.png",
                    paper=published,
                    title=f"Figure {panel}: {analysis.replace('_', ' ')}",
                )
            )
    if (summary["analysis"] == "mirroring").any():
        written.append(mirroring_matrix(summary, out_dir / "figure_1c_mirroring.png"))
    return written


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)
    return path
