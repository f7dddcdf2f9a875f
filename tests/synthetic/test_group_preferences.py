"""Planted group x model preferences: where they act, and that nothing else moves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.synthetic import generate
from orchestration.synthetic.truth import PLANTED_GROUP_MODEL, load_truth, preferences_truth


def opening_scores(directory: Path) -> pd.DataFrame:
    rows = [json.loads(line) for line in (directory / "utterances.jsonl").open()]
    survey = {
        row["user_id"]: row["gender"]
        for row in map(json.loads, (directory / "survey.jsonl").open())
    }
    frame = pd.DataFrame(rows)[["utterance_id", "user_id", "turn", "model_name", "score"]]
    frame["gender"] = frame["user_id"].map(survey)
    return frame[frame["turn"] == 0].set_index("utterance_id")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    base = tmp_path_factory.mktemp("topics_only")
    planted = tmp_path_factory.mktemp("preferences")
    # The same truth without its group x model effects: the same texts (planted topics change
    # opening prompts, and with them prompt attributes and scores), so only the effects differ.
    without = preferences_truth()
    without.score.group_model = {}
    truth_path = base / "truth_without_group_model.json"
    truth_path.write_text(json.dumps(without.to_json_dict()))
    generate(base, scale="small", seed=5, truth=truth_path)
    generate(planted, scale="small", seed=5, truth="preferences")
    return opening_scores(base), opening_scores(planted)


def test_only_planted_cells_move_at_the_opening_turn(pair) -> None:
    base, planted = pair
    assert base.index.equals(planted.index)
    assert (base["model_name"] == planted["model_name"]).all()
    moved = base["score"] != planted["score"]
    cells = {
        (gender, model) for gender, fx in PLANTED_GROUP_MODEL["gender"].items() for model in fx
    }
    in_cell = [(g, m) in cells for g, m in zip(base["gender"], base["model_name"], strict=True)]
    assert moved.sum() > 10
    assert not (moved & ~np.array(in_cell)).any()


def test_moves_have_the_planted_size_and_sign(pair) -> None:
    base, planted = pair
    for gender, effects in PLANTED_GROUP_MODEL["gender"].items():
        for model, effect in effects.items():
            rows = (base["gender"] == gender) & (base["model_name"] == model)
            inside = rows & base["score"].between(5, 95) & planted["score"].between(5, 95)
            ratio = np.log(planted.loc[inside, "score"] / base.loc[inside, "score"])
            # scores are rounded to integers, so the log ratio is the effect up to rounding
            assert ratio.median() == pytest.approx(effect, abs=0.05), (gender, model)


def test_truth_round_trip_and_validation(tmp_path: Path) -> None:
    truth = preferences_truth()
    doc = truth.to_json_dict()
    assert doc["score"]["group_model"] == PLANTED_GROUP_MODEL
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    assert load_truth(path).score.group_model == PLANTED_GROUP_MODEL
    doc["score"]["group_model"] = {"shoe_size": {"42": {"gpt-4": 0.1}}}
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="shoe_size"):
        load_truth(path)
    # a truth file written before group_model existed still loads, with no effects
    doc["score"].pop("group_model")
    path.write_text(json.dumps(doc))
    assert load_truth(path).score.group_model == {}


def test_unknown_model_in_group_model_fails(tmp_path: Path) -> None:
    doc = preferences_truth().to_json_dict()
    doc["score"]["group_model"] = {"gender": {"Female": {"gpt-7": 0.1}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="gpt-7"):
        generate(tmp_path / "out", scale="small", seed=0, truth=path)
