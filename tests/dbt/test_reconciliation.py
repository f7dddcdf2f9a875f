"""Counts and flags in the marts agree with the raw files, computed independently with pandas."""

from __future__ import annotations

import hashlib
import json
import math

import pandas as pd
import pytest

from .conftest import BuiltWarehouse

ATTRIBUTES = {
    "toxicity": "TOXICITY",
    "affinity": "AFFINITY_EXPERIMENTAL",
    "compassion": "COMPASSION_EXPERIMENTAL",
    "curiosity": "CURIOSITY_EXPERIMENTAL",
    "nuance": "NUANCE_EXPERIMENTAL",
    "personal_story": "PERSONAL_STORY_EXPERIMENTAL",
    "reasoning": "REASONING_EXPERIMENTAL",
    "respect": "RESPECT_EXPERIMENTAL",
}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_jsonl(path) -> pd.DataFrame:
    return pd.DataFrame([json.loads(line) for line in path.read_text().splitlines()])


def scores_by_hash(warehouse: BuiltWarehouse) -> pd.DataFrame:
    """The score file as a text_hash x attribute table, in either the wide or the long layout."""
    raw = pd.read_csv(warehouse.prism_dir / "perspective_scores.csv")
    if {"attribute", "value"} <= set(raw.columns):
        raw = raw.pivot(index="text_hash", columns="attribute", values="value")
    else:
        raw = raw.set_index("text_hash")
    return raw.rename(columns={v: k for k, v in ATTRIBUTES.items()})


@pytest.fixture(scope="module", params=["small", "tiny"])
def warehouse(request) -> BuiltWarehouse:
    return request.getfixturevalue(f"{request.param}_warehouse")


@pytest.fixture(scope="module")
def utterances(warehouse: BuiltWarehouse) -> pd.DataFrame:
    return read_jsonl(warehouse.prism_dir / "utterances.jsonl")


@pytest.fixture(scope="module")
def responses(warehouse: BuiltWarehouse) -> pd.DataFrame:
    with warehouse.connect() as con:
        return con.execute("select * from marts.fct_responses").df().set_index("utterance_id")


def test_build_ran_every_node_without_failure(warehouse: BuiltWarehouse) -> None:
    statuses = [r["status"] for r in warehouse.run_results["results"]]
    assert statuses, "dbt build ran nothing"
    assert set(statuses) <= {"success", "pass"}, sorted(set(statuses))
    kinds = {r["unique_id"].split(".")[0] for r in warehouse.run_results["results"]}
    assert {"model", "test", "seed", "unit_test"} <= kinds


def test_counts_agree_across_layers(warehouse: BuiltWarehouse, utterances: pd.DataFrame) -> None:
    conversations = read_jsonl(warehouse.prism_dir / "conversations.jsonl")
    survey = read_jsonl(warehouse.prism_dir / "survey.jsonl")
    with warehouse.connect() as con:
        count = lambda table: con.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: E731
        assert count("raw.prism_utterances") == len(utterances)
        assert count("marts.fct_responses") == len(utterances)
        assert count("marts.fct_conversations") == len(conversations)
        assert count("marts.dim_participants") == len(survey)
        assert count("marts.fct_interactions") == utterances["interaction_id"].nunique()
        # every utterance sits in exactly one interaction, and the options add up
        per_utterance = con.execute(
            "select utterance_id, count(distinct interaction_id) as n "
            "from marts.fct_responses group by utterance_id having n <> 1"
        ).fetchall()
        assert per_utterance == []
        n_options = con.execute("select sum(n_options) from marts.fct_interactions").fetchone()
        n_responses = con.execute("select sum(n_responses) from marts.fct_conversations").fetchone()
        assert n_options[0] == n_responses[0] == len(utterances)
        history = con.execute(
            "select count(*) from intermediate.int_conversation_history_exploded "
            "where role = 'model'"
        ).fetchone()[0]
        assert history == len(utterances)


def test_texts_are_exactly_the_distinct_prompts_and_responses(
    warehouse: BuiltWarehouse, utterances: pd.DataFrame
) -> None:
    expected = {sha(t) for t in utterances["user_prompt"]} | {
        sha(t) for t in utterances["model_response"]
    }
    with warehouse.connect() as con:
        texts = con.execute("select * from staging.stg_prism__texts").df()
    assert len(texts) == len(expected)
    assert set(texts["text_hash"]) == expected
    assert (texts["text_hash"] == texts["text"].map(sha)).all()
    assert (texts["n_bytes"] == texts["text"].map(lambda t: len(t.encode()))).all()
    prompts_per_interaction = utterances.drop_duplicates("interaction_id")
    assert texts["n_occurrences"].sum() == len(prompts_per_interaction) + len(utterances)
    openings = {sha(t) for t in prompts_per_interaction.query("turn == 0")["user_prompt"]}
    assert set(texts.loc[texts["is_opening_prompt"], "text_hash"]) == openings
    empty = texts.loc[texts["is_empty"], "text"]
    assert set(empty) <= {"EMPTY STRING"} | {t for t in empty if not t.strip()}


def test_top_scored_agrees_with_pandas(utterances: pd.DataFrame, responses: pd.DataFrame) -> None:
    by_interaction = utterances.groupby("interaction_id")["score"]
    expected = utterances.assign(
        is_top=utterances["score"] == by_interaction.transform("max"),
        n_options=by_interaction.transform("size"),
    )
    expected["n_top"] = expected.groupby("interaction_id")["is_top"].transform("sum")
    expected = expected.set_index("utterance_id").loc[responses.index]
    assert (responses["is_top_scored"] == expected["is_top"]).all()
    assert (responses["n_top_scored"] == expected["n_top"]).all()
    assert (responses["n_options"] == expected["n_options"]).all()
    assert expected["n_top"].max() >= 2, "the data should contain ties at the maximum"
    assert (responses["log_score"] - expected["score"].map(math.log)).abs().max() < 1e-12


def test_attributes_match_the_score_file(
    warehouse: BuiltWarehouse, utterances: pd.DataFrame, responses: pd.DataFrame
) -> None:
    scores = scores_by_hash(warehouse)
    u = utterances.set_index("utterance_id").loc[responses.index]
    conversations = read_jsonl(warehouse.prism_dir / "conversations.jsonl").set_index(
        "conversation_id"
    )
    opening = u["conversation_id"].map(conversations["opening_prompt"])
    for role, texts in {
        "response": u["model_response"],
        "prompt": u["user_prompt"],
        "opening_prompt": opening,
    }.items():
        hashes = texts.map(sha)
        for key in ("toxicity", "curiosity", "personal_story"):
            expected = hashes.map(scores[key])
            got = responses[f"{role}_{key}"]
            both = expected.notna()
            assert (got[both] - expected[both]).abs().max() < 1e-9, (role, key)
            assert got[~both].isna().all(), (role, key)
        product = hashes.map(scores["reasoning"] * scores["nuance"])
        both = product.notna()
        assert (responses.loc[both, f"{role}_reasoning_nuance"] - product[both]).abs().max() < 1e-9
    assert set(responses["attribute_scorer"]) == {"imported:synthetic"}
    assert not responses.loc[responses["is_empty_response"], "has_response_attributes"].any()


def test_participant_moderators_agree_with_the_survey(warehouse: BuiltWarehouse) -> None:
    survey = read_jsonl(warehouse.prism_dir / "survey.jsonl").set_index("user_id")
    with warehouse.connect() as con:
        people = con.execute("select * from marts.dim_participants").df().set_index("user_id")
    survey = survey.loc[people.index]
    young = survey["age"].isin(["18-24 years old", "25-34 years old", "35-44 years old"])
    pnts = survey["age"] == "Prefer not to say"
    assert (people.loc[~pnts, "is_younger"] == young[~pnts]).all()
    assert people.loc[pnts, "is_younger"].isna().all()
    values = survey["stated_prefs"].map(lambda p: p["values"])
    assert (people["has_high_values"] == (values > 50)).all()
    white = survey["ethnicity"].map(lambda e: e["simplified"])
    known = white != "Prefer not to say"
    assert (people.loc[known, "is_white"] == (white[known] == "White")).all()
    assert people.loc[~known, "is_white"].isna().all()
