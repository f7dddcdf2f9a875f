"""The planted value each of the suite's coefficients is compared with (logic only)."""

from __future__ import annotations

import pytest

from orchestration.modeling.specs import ATTRIBUTES, MODERATORS
from orchestration.synthetic.truth import recovery_truth
from tests.benchmarks.bench_suite import planted_coefficients
from tests.modeling.simulate import simulate_snapshot


def test_planted_coefficients_follow_the_generators_score_and_mirroring_models() -> None:
    truth = recovery_truth().to_json_dict()
    score = truth["score"]
    snapshot = simulate_snapshot(n_users=30, n_conversations=90, seed=4)
    planted = planted_coefficients(truth, snapshot).set_index(["analysis", "subset", "term"])[
        "planted"
    ]
    assert "top_scored" not in planted.index.get_level_values("analysis")

    # Moderation: the generator centres moderators at c, the fit does not.
    for a in ATTRIBUTES:
        shift = sum(score["gamma"][m][a] * score["moderator_centers"][m] for m in MODERATORS)
        expected = score["beta"][a] - shift
        if a != "toxicity":
            assert planted["moderation", "all", a] == pytest.approx(expected)
        for m in MODERATORS:
            assert planted["moderation", "all", f"{m}:{a}"] == score["gamma"][m][a]
    assert planted["moderation", "all", "is_male"] == score["delta"]["is_male"]

    # The interaction model separates lambda; 1b folds it into toxicity.
    interaction = planted.loc["log_score_toxicity_interaction", "all"]
    assert interaction["toxicity:opening_prompt_toxicity"] == score["lambda"]
    assert interaction["opening_prompt_toxicity"] == 0.0
    one_b = planted.loc["log_score", "all"]
    assert one_b["toxicity"] > interaction["toxicity"]  # lambda > 0, toxicity >= 0
    assert one_b["respect"] == pytest.approx(interaction["respect"])
    assert len(planted.loc["log_score"]) == 4 * len(ATTRIBUTES)

    # Mirroring: Table 4's B[predictor][response].
    B = truth["mirroring"]["B"]
    assert (
        planted["mirroring", "response_compassion", "opening_prompt_toxicity"]
        == (B["toxicity"]["compassion"])
    )
    assert (
        planted["mirroring", "response_respect", "opening_prompt_curiosity"]
        == (B["curiosity"]["respect"])
    )
