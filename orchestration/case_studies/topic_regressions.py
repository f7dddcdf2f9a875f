"""Who opens which topic: one linear probability model per topic, as PRISM's
``02b_topic_regressions.R`` fits it, with two sets of standard errors.

PRISM meant to cluster its errors by participant, but passed ``cluster=`` to ``sandwich::vcovHC``,
which ignores it: its saved p-values are HC1 (heteroskedasticity-robust, not clustered). Each
participant opens about five conversations, so clustering matters; both are reported, and
``is_significant`` follows the clustered one. Clustered errors use statsmodels' small-sample
correction G/(G-1) (N-1)/(N-K) (what ``sandwich::vcovCL(type="HC1")`` does) with t on G-1
degrees of freedom; HC1 uses t on N-K, as R's ``coeftest`` on an ``lm`` does.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import statsmodels.api as sm

# PRISM's regressors (mart column -> the name in a term) and reference levels.
FACTORS: dict[str, str] = {
    "gender": "gender",
    "age": "age",
    "special_region": "region",
    "ethnicity_simplified": "ethnicity",
    "religion_simplified": "religion",
    "conversation_type": "conversation_type",
}
REFERENCE_LEVELS: dict[str, str] = {
    "gender": "Male",
    "age": "18-24 years old",
    "special_region": "US",
    "ethnicity_simplified": "White",
    "religion_simplified": "No Affiliation",
    "conversation_type": "unguided",
}
ALPHA = 0.01
# A clustered error needs many clusters: for a level held by two participants it rests on two
# residual sums and can be near zero (on full-scale synthetic data, a two-participant region got
# p = 1e-22 clustered against 0.29 HC1). Such terms are never called significant; PRISM drops
# groups under 20 participants elsewhere in its analyses (notebook 05).
MIN_PARTICIPANTS = 20


def design_matrix(
    frame: pd.DataFrame, references: Mapping[str, str] = REFERENCE_LEVELS
) -> pd.DataFrame:
    """An intercept and one dummy per non-reference level, named ``factor[level]``.

    A reference level absent from the data (a small sample) gives way to the most common level,
    so the model stays identified; the term names say which level each dummy is.
    """
    columns: dict[str, np.ndarray] = {"intercept": np.ones(len(frame))}
    for column, name in FACTORS.items():
        values = frame[column].astype(str)
        counts = values.value_counts()
        reference = references[column]
        if reference not in counts.index:
            reference = str(counts.index[0])
        for level in sorted(counts.index):
            if level != reference:
                columns[f"{name}[{level}]"] = (values == level).to_numpy(float)
    return pd.DataFrame(columns, index=frame.index)


def fit_topic(outcome: np.ndarray, design: pd.DataFrame, clusters: np.ndarray) -> pd.DataFrame:
    """One topic's coefficients with clustered and HC1 errors."""
    model = sm.OLS(outcome, design)
    clustered = model.fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
    hc1 = model.fit(cov_type="HC1", use_t=True)
    return pd.DataFrame(
        {
            "term": design.columns,
            "estimate": clustered.params.to_numpy(),
            "se_clustered": clustered.bse.to_numpy(),
            "p_clustered": clustered.pvalues.to_numpy(),
            "se_hc1": hc1.bse.to_numpy(),
            "p_hc1": hc1.pvalues.to_numpy(),
            "r_squared": clustered.rsquared,
        }
    )


def topic_regressions(
    assignments: pd.DataFrame,
    prompts: pd.DataFrame,
    alpha: float = ALPHA,
    min_participants: int = MIN_PARTICIPANTS,
) -> pd.DataFrame:
    """Every topic's regression on all conversations (outliers count as 0 in each)."""
    frame = prompts.merge(assignments, on="conversation_id", how="inner", validate="1:1")
    design = design_matrix(frame)
    clusters = pd.factorize(frame["user_id"])[0]
    names = frame.drop_duplicates("topic_id").set_index("topic_id")["topic"]
    pieces = []
    for topic_id in sorted(set(frame["topic_id"]) - {-1}):
        outcome = (frame["topic_id"] == topic_id).to_numpy(float)
        table = fit_topic(outcome, design, clusters)
        pieces.append(table.assign(topic_id=int(topic_id), topic=names[topic_id]))
    columns = ["topic_id", "topic", "term", "estimate", "se_clustered", "p_clustered"]
    columns += ["se_hc1", "p_hc1", "r_squared"]
    if not pieces:
        extra = ["n_participants_term", "is_significant", "is_significant_hc1"]
        return pd.DataFrame(columns=[*columns, *extra, "n_conversations", "n_participants"])
    out = pd.concat(pieces, ignore_index=True)[columns]
    # Participants behind each dummy: a level held by a handful of participants has a clustered
    # error resting on that handful, so its p-value is not to be trusted (small samples).
    behind = {term: frame.loc[design[term] == 1, "user_id"].nunique() for term in design.columns}
    n_behind = out["term"].map(behind).astype(int)
    return out.assign(
        n_participants_term=n_behind,
        is_significant=(out["p_clustered"] < alpha) & (n_behind >= min_participants),
        is_significant_hc1=out["p_hc1"] < alpha,
        n_conversations=len(frame),
        n_participants=int(clusters.max() + 1),
    )


def topic_prevalence(frame: pd.DataFrame, regressions: pd.DataFrame) -> pd.DataFrame:
    """``analysis.topic_prevalence``: each group's share of conversations in each topic, overall
    and by every regressor, beside the topic regression's estimate for that group's dummy.

    `frame` is ``marts.fct_conversation_topics``; `regressions` is ``topic_regressions``'s table.
    The reference level of a factor (and the outliers, topic -1) has no estimate.
    """
    frame = frame.assign(overall="all")
    names = frame.drop_duplicates("topic_id").set_index("topic_id")["topic"]
    pieces = []
    for column, grouping in [("overall", "overall"), *FACTORS.items()]:
        levels = frame[column].astype(str)
        totals = levels.value_counts()
        grid = pd.MultiIndex.from_product(
            [sorted(totals.index), sorted(names.index)], names=["level", "topic_id"]
        ).to_frame(index=False)
        counts = frame.groupby([levels.rename("level"), "topic_id"]).size().rename("n_topic")
        table = grid.merge(counts.reset_index(), on=["level", "topic_id"], how="left")
        pieces.append(
            table.assign(
                grouping=grouping,
                n_level=table["level"].map(totals).astype(int),
                n_topic=table["n_topic"].fillna(0).astype(int),
            )
        )
    out = pd.concat(pieces, ignore_index=True)
    out["share"] = out["n_topic"] / out["n_level"]
    out["topic"] = out["topic_id"].map(names)
    out["term"] = out["grouping"] + "[" + out["level"] + "]"
    estimates = regressions[
        ["topic_id", "term", "estimate", "se_clustered", "p_clustered", "is_significant"]
    ]
    out = out.merge(estimates, on=["topic_id", "term"], how="left", validate="m:1")
    out["is_significant"] = out["is_significant"].astype("boolean")
    fitted = set(regressions["topic_id"])
    out["is_reference"] = (
        (out["grouping"] != "overall") & out["topic_id"].isin(fitted) & out["estimate"].isna()
    )
    columns = ["grouping", "level", "topic_id", "topic", "n_level", "n_topic", "share"]
    columns += ["is_reference", "estimate", "se_clustered", "p_clustered", "is_significant"]
    return out[columns].sort_values(["grouping", "level", "topic_id"]).reset_index(drop=True)
