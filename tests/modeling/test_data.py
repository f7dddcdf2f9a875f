from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.modeling.data import build_fit_data, design_matrix, term_columns
from orchestration.modeling.specs import (
    ATTRIBUTES,
    AnalysisOptions,
    log_score_specs,
    mirroring_specs,
    moderation_spec,
    paper_specs,
    top_scored_specs,
    toxicity_interaction_spec,
)


def hand_snapshot() -> pd.DataFrame:
    """Two participants; 'b' owns two conversations, listed out of order on purpose."""
    rows = [
        # utterance, conversation, user, model, type, turn, english, score, top
        ("u5", "c9", "b", "m2", "unguided", 1, True, 10, False),
        ("u1", "c1", "a", "m1", "unguided", 0, True, 50, True),
        ("u2", "c1", "a", "m2", "unguided", 0, True, 20, False),
        ("u3", "c2", "b", "m1", "values guided", 0, True, 80, True),
        ("u4", "c9", "b", "m3", "unguided", 0, True, 40, True),
        ("u6", "c3", "b", "m1", "unguided", 0, False, 30, True),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "utterance_id",
            "conversation_id",
            "user_id",
            "model_name",
            "conversation_type",
            "turn",
            "is_english_conversation",
            "score",
            "is_top_scored",
        ],
    )
    frame["interaction_id"] = frame["conversation_id"] + "-" + frame["turn"].astype(str)
    frame["log_score"] = np.log(frame["score"])
    frame["n_options"] = 2
    for k, a in enumerate(ATTRIBUTES):
        for side, shift in (("response", 0.0), ("prompt", 0.01), ("opening_prompt", 0.02)):
            frame[f"{side}_{a}"] = 0.1 + 0.05 * k + shift + 0.01 * np.arange(len(frame))
    frame["is_younger"] = pd.array([True, True, True, None, True, True], dtype="boolean")
    frame["is_male"] = pd.array([False, True, True, False, False, False], dtype="boolean")
    frame["is_white"] = pd.array([True, False, False, True, True, True], dtype="boolean")
    frame["has_high_values"] = pd.array([True, True, True, True, True, True], dtype="boolean")
    return frame


def test_index_maps_nest_conversations_in_participants() -> None:
    data = build_fit_data(hand_snapshot(), log_score_specs()[0])
    record = data.stan
    # The non-English conversation c3 is dropped; rows are sorted by user, conversation, id.
    assert data.rows_dropped["not_english"] == 1
    assert record.N == 5
    assert data.user_ids == ("a", "b")
    assert data.conversation_ids == ("c1", "c2", "c9")
    assert data.model_names == ("m1", "m2", "m3")
    assert record.J_conv_user.tolist() == [1, 2, 2]
    assert record.J_conv.tolist() == [1, 1, 2, 3, 3]
    # c9 sorted: u4 (m3) before u5 (m2).
    assert record.J_model.tolist() == [1, 2, 1, 3, 2]
    assert record.y.dtype == float
    np.testing.assert_allclose(record.y, np.log([50, 20, 80, 40, 10]))
    assert (record.N_user, record.N_conv, record.N_model, record.K) == (2, 3, 3, 7)


def test_record_and_fingerprint_ignore_row_order() -> None:
    spec = log_score_specs()[0]
    snapshot = hand_snapshot()
    first = build_fit_data(snapshot, spec)
    shuffled = build_fit_data(snapshot.sample(frac=1.0, random_state=3), spec)
    assert first.fingerprint == shuffled.fingerprint
    np.testing.assert_array_equal(first.stan.X, shuffled.stan.X)
    changed = snapshot.copy()
    changed.loc[0, "score"] = 11
    changed["log_score"] = np.log(changed["score"])
    assert build_fit_data(changed, spec).fingerprint != first.fingerprint


def test_subsets_turns_and_english_option() -> None:
    snapshot = hand_snapshot()
    unguided = build_fit_data(snapshot, log_score_specs()[1])
    assert unguided.spec.subset == "unguided"
    assert unguided.stan.N == 4
    assert unguided.rows_dropped["other_conversation_type"] == 1
    first_turn = build_fit_data(snapshot, log_score_specs()[0], AnalysisOptions(turns="first"))
    assert first_turn.stan.N == 4
    every_language = build_fit_data(
        snapshot, log_score_specs()[0], AnalysisOptions(english_only=False)
    )
    assert every_language.stan.N == 6
    assert "not_english" not in every_language.rows_dropped


def test_bernoulli_outcome_is_integer() -> None:
    data = build_fit_data(hand_snapshot(), top_scored_specs()[0])
    assert data.spec.program == "bernoulli_nested"
    assert data.stan.y.dtype.kind == "i"
    assert data.stan.y.tolist() == [1, 0, 1, 1, 0]


def test_moderation_drops_prefer_not_to_say_and_builds_interactions() -> None:
    spec = moderation_spec()
    assert len(spec.terms) == 7 + 4 + 28
    assert spec.terms[11] == "is_younger:toxicity"
    data = build_fit_data(hand_snapshot(), spec)
    # u3 (participant b) has a null is_younger; only that row goes (moderators are per row).
    assert data.rows_dropped["missing_value"] == 1
    assert data.stan.N == 4
    X = data.stan.X
    k_young, k_tox = spec.terms.index("is_younger"), spec.terms.index("toxicity")
    k_inter = spec.terms.index("is_younger:toxicity")
    np.testing.assert_allclose(X[:, k_inter], X[:, k_young] * X[:, k_tox])


def test_interaction_and_mirroring_terms_read_prompt_columns() -> None:
    spec = toxicity_interaction_spec()
    assert term_columns(spec.terms)[-1] == "opening_prompt_toxicity"
    snapshot = hand_snapshot()
    X = design_matrix(snapshot, spec.terms)
    np.testing.assert_allclose(
        X[:, -1], snapshot["response_toxicity"] * snapshot["opening_prompt_toxicity"]
    )
    mirror = mirroring_specs()[2]
    assert mirror.subset == mirror.outcome == "response_compassion"
    data = build_fit_data(snapshot, mirror)
    # Canonical order u1..u5; the snapshot listed u5 first (0.20).
    np.testing.assert_allclose(data.stan.y, [0.21, 0.22, 0.23, 0.24, 0.20])


def test_a_fit_drops_only_rows_missing_a_column_it_uses() -> None:
    snapshot = hand_snapshot()
    # 1b reads no opening-prompt attribute, so an unscored opening prompt costs it no row...
    snapshot.loc[snapshot["utterance_id"] == "u1", "opening_prompt_curiosity"] = np.nan
    spec = log_score_specs()[0]
    default = build_fit_data(snapshot, spec)
    assert default.stan.N == 5
    assert "incomplete_attributes" not in default.rows_dropped
    # ...unless the common sample is asked for.
    common = build_fit_data(snapshot, spec, AnalysisOptions(complete_attributes=True))
    assert common.rows_dropped["incomplete_attributes"] == 1
    assert common.stan.N == 4
    # A response attribute the fit uses does cost the row.
    snapshot.loc[snapshot["utterance_id"] == "u2", "response_respect"] = np.nan
    assert build_fit_data(snapshot, spec).rows_dropped["missing_value"] == 1


def test_prompt_choice_reads_the_same_turns_prompt() -> None:
    snapshot = hand_snapshot()
    mirror = mirroring_specs()[0]
    opening = build_fit_data(snapshot, mirror.with_prompt("opening"))
    same_turn = build_fit_data(snapshot, mirror.with_prompt("same_turn"))
    assert opening.terms[0] == "opening_prompt_toxicity"
    assert same_turn.terms[0] == "prompt_toxicity"
    # The canonical order (participant, conversation, utterance) is u1..u5; u6 is not English.
    ordered = snapshot[snapshot["is_english_conversation"]].sort_values("utterance_id")
    np.testing.assert_allclose(same_turn.stan.X[:, 0], ordered["prompt_toxicity"])
    np.testing.assert_allclose(opening.stan.X[:, 0], ordered["opening_prompt_toxicity"])
    interaction = toxicity_interaction_spec().with_prompt("same_turn")
    assert interaction.terms[-1] == "toxicity:prompt_toxicity"
    with pytest.raises(ValueError, match="prompt"):
        AnalysisOptions(prompt="first")  # type: ignore[arg-type]


def test_errors_name_what_failed() -> None:
    snapshot = hand_snapshot()
    with pytest.raises(KeyError, match="response_respect"):
        build_fit_data(snapshot.drop(columns="response_respect"), log_score_specs()[0])
    snapshot.loc[snapshot["utterance_id"] == "u2", "user_id"] = "b"
    with pytest.raises(ValueError, match="c1"):
        build_fit_data(snapshot, log_score_specs()[0])
    with pytest.raises(ValueError, match="no rows"):
        build_fit_data(snapshot.iloc[:0], log_score_specs()[0])


def test_paper_specs() -> None:
    specs = paper_specs()
    assert len(specs) == 17
    assert sum(s.program == "gaussian_nested_marginal" for s in specs) == 13
    assert len({s.name for s in specs}) == 17
    assert {s.paper_id for s in specs} == {"1a", "1b", "2", "3"}
    assert AnalysisOptions(prior="paper").prior_b_sd == 1e6
