from __future__ import annotations

import numpy as np
import pytest

from orchestration.modeling.data import build_fit_data
from orchestration.modeling.specs import ATTRIBUTES, MODERATORS, log_score_specs
from tests.modeling.simulate import Truth, simulate_outcome, simulate_snapshot


def test_snapshot_has_prisms_shape() -> None:
    snapshot = simulate_snapshot(n_users=30, n_conversations=120, seed=1)
    assert snapshot["user_id"].nunique() == 30
    assert snapshot["conversation_id"].nunique() == 120
    assert snapshot.groupby("conversation_id")["user_id"].nunique().max() == 1
    opening = snapshot[snapshot["turn"] == 0]
    assert opening.groupby("interaction_id")["model_name"].nunique().between(2, 4).all()
    later = snapshot[snapshot["turn"] > 0]
    assert (later.groupby("interaction_id").size() == 2).all()
    assert (snapshot.groupby("interaction_id")["is_top_scored"].sum() >= 1).all()
    assert snapshot["score"].between(1, 100).all()
    np.testing.assert_allclose(snapshot["log_score"], np.log(snapshot["score"]))
    for side in ("response", "prompt", "opening_prompt"):
        for a in (*ATTRIBUTES, "reasoning", "nuance"):
            assert snapshot[f"{side}_{a}"].between(0, 1).all()
    # The opening prompt's attributes are constant within a conversation.
    assert (snapshot.groupby("conversation_id")["opening_prompt_toxicity"].nunique() == 1).all()
    for name in MODERATORS:
        assert snapshot[name].dtype == "boolean"
    assert len(snapshot) / 120 == pytest.approx(8.5, abs=1.0)


def test_outcomes_are_reproducible_and_follow_the_truth() -> None:
    snapshot = simulate_snapshot(n_users=40, n_conversations=200, seed=2)
    record = build_fit_data(snapshot, log_score_specs()[0]).stan
    truth = Truth(3.0, np.linspace(-1, 1, 7), 0.0, 0.0, 0.0, 0.01)
    first = simulate_outcome(record, truth, seed=9)
    again = simulate_outcome(record, truth, seed=9)
    np.testing.assert_array_equal(first.data.y, again.data.y)
    # With the group sds at zero and tiny noise, y is the linear predictor.
    np.testing.assert_allclose(first.data.y, 3.0 + record.X @ truth.b, atol=0.05)
    bernoulli = simulate_outcome(record, Truth(0.0, np.zeros(7), 0.1, 0.1, 0.1), seed=9)
    assert set(np.unique(bernoulli.data.y)) == {0, 1}
    assert bernoulli.r_conv.shape == (record.N_conv,)
    with pytest.raises(ValueError, match="K=7"):
        simulate_outcome(record, Truth(0.0, np.zeros(3), 0.1, 0.1, 0.1), seed=1)
