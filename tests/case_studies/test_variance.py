"""The variance decomposition finds planted individual and context preference variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.case_studies.variance import component, decompose


def responses(sd_individual: float, sd_context: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_users, n_models, per_user = 400, 6, 30
    taste = rng.normal(0, sd_individual, (n_users, n_models))
    contexts = ["a", "b", "c"]
    context_taste = rng.normal(0, sd_context, (len(contexts), n_models))
    rows = []
    interaction = 0
    for user in range(n_users):
        gender = "Female" if user % 2 else "Male"
        for _ in range(per_user // 3):
            ctx = int(rng.integers(len(contexts)))
            leniency = rng.normal(0, 20)
            for model in rng.choice(n_models, 3, replace=False):
                score = 50 + leniency + taste[user, model] + context_taste[ctx, model]
                rows.append(
                    (f"i{interaction}", f"u{user}", f"m{model}", contexts[ctx], gender,
                     score + rng.normal(0, 5))
                )  # fmt: skip
            interaction += 1
    return pd.DataFrame(
        rows,
        columns=["interaction_id", "user_id", "model_name", "conversation_type", "gender", "score"],
    )


def test_one_way_component_recovers_a_known_variance() -> None:
    rng = np.random.default_rng(1)
    cells = np.repeat(np.arange(500), 8)
    effects = rng.normal(0, 3, 500)
    values = effects[cells] + rng.normal(0, 2, cells.size)
    variance, k = component(pd.Series(values), pd.Series(cells))
    assert k == 500
    # the realised variance of the drawn effects, not 9: the estimator is about this sample
    assert variance == pytest.approx(effects.var(ddof=1), rel=0.1)


def test_planted_individual_and_context_variance() -> None:
    table = decompose(responses(sd_individual=10, sd_context=4), {"gender": "gender"})
    by = table.set_index("component")["variance"]
    # centring within an interaction of 3 scales a model x factor variance by about 2/3
    assert by["individual"] == pytest.approx(100 * 2 / 3, rel=0.25)
    assert by["context"] == pytest.approx(16 * 2 / 3, rel=0.6)
    assert by["group"] < 0.1 * by["individual"]


def test_no_preference_structure_gives_near_zero_components() -> None:
    table = decompose(responses(sd_individual=0, sd_context=0), {"gender": "gender"})
    by = table.set_index("component")["variance"]
    assert by["individual"] < 1.0
    assert by["context"] < 1.0
