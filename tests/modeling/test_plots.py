from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.modeling.plots import PAPER_ORDER, coefficient_plot, figure_1, label
from orchestration.modeling.specs import ALL, ATTRIBUTES, CONVERSATION_TYPES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def summary_rows(analysis: str, subset: str, terms: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mean = rng.normal(0, 0.6, len(terms))
    sd = rng.uniform(0.02, 0.2, len(terms))
    return pd.DataFrame(
        {
            "analysis": analysis,
            "subset": subset,
            "term": terms,
            "mean": mean,
            "sd": sd,
            "q5": mean - 1.645 * sd,
            "q50": mean,
            "q95": mean + 1.645 * sd,
            "hypothesis": np.where(mean >= 0, ">", "<"),
            "evidence_ratio": np.where(np.abs(mean) > 0.1, np.inf, 3.0),
        }
    )


@pytest.fixture
def summary() -> pd.DataFrame:
    frames = [
        summary_rows(analysis, subset, list(ATTRIBUTES), seed=i)
        for i, (analysis, subset) in enumerate(
            (a, s) for a in ("top_scored", "log_score") for s in (ALL, *CONVERSATION_TYPES)
        )
    ]
    predictors = [f"opening_prompt_{a}" for a in ATTRIBUTES]
    frames += [
        summary_rows("mirroring", f"response_{dv}", predictors, seed=100 + j)
        for j, dv in enumerate(ATTRIBUTES)
    ]
    return pd.concat(frames, ignore_index=True)


def test_figure_1_writes_three_pngs(summary: pd.DataFrame, tmp_path: Path) -> None:
    paper = summary_rows("1a", ALL, list(ATTRIBUTES), seed=50).assign(
        analysis="1a", estimate=lambda f: f["mean"]
    )
    paths = figure_1(summary, tmp_path, paper=paper)
    assert [p.name for p in paths] == [
        "figure_1a_top_scored.png",
        "figure_1b_log_score.png",
        "figure_1c_mirroring.png",
    ]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 20_000


def test_labels_and_order_follow_the_paper() -> None:
    assert label("reasoning_nuance") == "REASONING/NUANCE"
    assert label("personal_story") == "PERSONAL STORY"
    assert PAPER_ORDER[0] == "personal_story" and PAPER_ORDER[-1] == "reasoning_nuance"
    assert sorted(PAPER_ORDER) == sorted(ATTRIBUTES)


def test_coefficient_plot_needs_rows(summary: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="moderation"):
        coefficient_plot(summary, "moderation", tmp_path / "x.png")
