"""How much of the variation in model preferences lies between individuals, groups and contexts.

Opening-turn scores are first centred within their interaction, which removes everything a
participant or conversation adds to all of its responses alike (a lenient rater, an easy
prompt): what is left is preference among the models shown. On those centred scores the
variance components of a random-effects model

    y = model_m + (model x F)_{m, f} + e

are estimated one factor F at a time, F being the participant (between individuals), the
conversation type (between contexts), or one demographic grouping (between groups), with the
one-way ANOVA (method-of-moments) estimator (MSB - MSW) / n0 on the model x F cells. A moment
estimator, not a Stan fit, because the individual factor alone has 21 x 1,396 cells: it is
unbiased, takes milliseconds at full scale, and is truncated at zero like REML would be.
Each component is marginal (estimated without the others), so the shares need not add to one.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def centred_scores(responses: pd.DataFrame) -> pd.Series:
    """Each opening-turn score minus its interaction's mean score."""
    mean = responses.groupby("interaction_id")["score"].transform("mean")
    return (responses["score"] - mean).rename("centred_score")


def component(values: pd.Series, cells: pd.Series) -> tuple[float, int]:
    """The between-cell variance component of `values` grouped by `cells`, and the cell count."""
    frame = pd.DataFrame({"y": values.to_numpy(), "cell": cells.to_numpy()}).dropna()
    stats = frame.groupby("cell")["y"].agg(["size", "mean"])
    n, k = len(frame), len(stats)
    if k < 2 or n <= k:
        return float("nan"), k
    grand = frame["y"].mean()
    msb = float((stats["size"] * (stats["mean"] - grand) ** 2).sum() / (k - 1))
    within = frame["y"] - frame["cell"].map(stats["mean"])
    msw = float((within**2).sum() / (n - k))
    n0 = (n - float((stats["size"] ** 2).sum()) / n) / (k - 1)
    return max(0.0, (msb - msw) / n0), k


def decompose(responses: pd.DataFrame, groupings: Mapping[str, str]) -> pd.DataFrame:
    """One row per component: model, individual, context, and one per demographic grouping.

    `responses` has one row per opening-turn response with ``interaction_id``, ``user_id``,
    ``model_name``, ``conversation_type``, ``score`` and the participant columns named in
    `groupings` (grouping name -> column); "Prefer not to say" counts as missing.
    """
    y = centred_scores(responses)
    model = responses["model_name"]
    residual = y - y.groupby(model).transform("mean")
    total = float(y.var())
    rows = [("model", "model", *component(y, model))]
    rows.append(
        ("individual", "participant", *component(residual, model + "|" + responses["user_id"]))
    )
    rows.append(
        (
            "context",
            "conversation_type",
            *component(residual, model + "|" + responses["conversation_type"]),
        )
    )
    for grouping, column in groupings.items():
        level = responses[column].where(responses[column] != "Prefer not to say")
        rows.append(("group", grouping, *component(residual, model + "|" + level)))
    out = pd.DataFrame(rows, columns=["component", "factor", "variance", "n_cells"])
    out["share_of_total"] = out["variance"] / total
    out["total_variance"] = total
    out["n_responses"] = int(y.notna().sum())
    return out
