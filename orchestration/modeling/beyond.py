"""The paper's conclusions beside a beyond-the-paper model's: does the answer change?

For each model that answers one of the paper's questions another way (`specs.COMPARED_WITH`:
the mixed logit for the top pick answers 1a's), one row per subset and term: the paper's
estimate and mark, our fit of the paper's model, and the other model, each with its posterior
probability of the paper's direction. Coefficients of the two models are on different scales
(1a: log-odds of being top-scored; the choice model: log-odds between two options of one
interaction), so the rows compare directions and evidence, not sizes.
"""

from __future__ import annotations

import pandas as pd

from .specs import COMPARED_WITH, PAPER_IDS
from .summaries import mark, paper_term

COMPARISON_COLUMNS: tuple[str, ...] = (
    "analysis",
    "compared_with",
    "subset",
    "term",
    "hypothesis",
    "paper_estimate",
    "paper_mark",
    "compared_estimate",
    "compared_post_prob",
    "compared_mark",
    "estimate",
    "ci_lower",
    "ci_upper",
    "post_prob",
    "mark",
    "same_conclusion",
)


def beyond_paper_comparison(summary: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """One row per (beyond-the-paper analysis, subset, term) with a hypothesis.

    ``same_conclusion`` holds when the other model earns the same mark (the paper's '*' for an
    evidence ratio above 100, '†' above 10, none below) as our fit of the paper's model.
    """
    coefficients = summary[summary["hypothesis"].notna()]
    frames = []
    for analysis, compared in COMPARED_WITH.items():
        ours = coefficients[coefficients["analysis"] == analysis]
        theirs = coefficients[coefficients["analysis"] == compared]
        if ours.empty:
            continue
        merged = ours.merge(
            theirs[["subset", "term", "mean", "post_prob", "evidence_ratio"]],
            on=["subset", "term"],
            how="left",
            suffixes=("", "_compared"),
        )
        published = paper.assign(term=paper["term"].astype(str))
        merged["paper_term"] = merged["term"].map(paper_term)
        merged = merged.merge(
            published[published["analysis"] == PAPER_IDS[compared]][
                ["subset", "term", "estimate", "mark"]
            ].rename(columns={"term": "paper_term", "estimate": "paper_estimate"}),
            on=["subset", "paper_term"],
            how="left",
        )
        marks = merged["evidence_ratio"].map(mark)
        compared_marks = merged["evidence_ratio_compared"].map(mark, na_action="ignore")
        frames.append(
            pd.DataFrame(
                {
                    "analysis": analysis,
                    "compared_with": compared,
                    "subset": merged["subset"],
                    "term": merged["term"],
                    "hypothesis": merged["hypothesis"],
                    "paper_estimate": merged["paper_estimate"],
                    "paper_mark": merged["mark"].fillna(""),
                    "compared_estimate": merged["mean_compared"],
                    "compared_post_prob": merged["post_prob_compared"],
                    "compared_mark": compared_marks,
                    "estimate": merged["mean"],
                    "ci_lower": merged["q5"],
                    "ci_upper": merged["q95"],
                    "post_prob": merged["post_prob"],
                    "mark": marks,
                    "same_conclusion": (marks == compared_marks).where(compared_marks.notna()),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(COMPARISON_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(COMPARISON_COLUMNS)]
