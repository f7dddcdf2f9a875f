"""The small synthetic PRISM follows prism_schema.md: keys, order, types, nulls, IDs, invariants."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from orchestration.modeling.specs import ATTRIBUTES

SURVEY_KEYS = [
    "user_id", "survey_only", "num_completed_conversations", "consent", "consent_age",
    "lm_familiarity", "lm_indirect_use", "lm_direct_use", "lm_frequency_use", "self_description",
    "system_string", "age", "gender", "employment_status", "education", "marital_status",
    "english_proficiency", "study_id", "study_locale", "religion", "ethnicity", "location",
    "lm_usecases", "stated_prefs", "order_lm_usecases", "order_stated_prefs",
    "generated_datetime", "timing_duration_s", "timing_duration_mins", "included_in_US_REP",
    "included_in_UK_REP", "included_in_balanced_subset",
]  # fmt: skip
LOCATION_KEYS = [
    "birth_country", "birth_countryISO", "birth_region", "birth_subregion", "reside_country",
    "reside_region", "reside_subregion", "reside_countryISO", "same_birth_reside_country",
    "special_region",
]  # fmt: skip
USECASE_KEYS = [
    "homework_assistance", "research", "source_suggestions", "professional_work",
    "creative_writing", "casual_conversation", "personal_recommendations", "daily_productivity",
    "technical_or_programming_help", "travel_guidance", "lifestyle_and_hobbies",
    "well-being_guidance", "medical_guidance", "financial_guidance", "games",
    "historical_or_news_insight", "relationship_advice", "language_learning", "other",
]  # fmt: skip
PREF_KEYS = [
    "values", "creativity", "fluency", "factuality", "diversity", "safety", "personalisation",
    "helpfulness", "other",
]  # fmt: skip
CONVERSATION_KEYS = [
    "conversation_id", "user_id", "conversation_type", "opening_prompt", "conversation_turns",
    "conversation_history", "performance_attributes", "choice_attributes", "open_feedback",
    "generated_datetime", "timing_duration_s", "timing_duration_mins",
    "included_in_balanced_subset",
]  # fmt: skip
FEEDBACK_KEYS = [
    "values",
    "fluency",
    "factuality",
    "safety",
    "diversity",
    "creativity",
    "helpfulness",
]
USER_ENTRY_KEYS = ["turn", "role", "content"]
MODEL_ENTRY_KEYS = [
    "turn", "role", "content", "model_provider", "model_name", "score", "if_chosen",
    "within_turn_id",
]  # fmt: skip
UTTERANCE_KEYS = [
    "utterance_id", "interaction_id", "conversation_id", "user_id", "turn", "within_turn_id",
    "conversation_type", "user_prompt", "model_response", "model_name", "model_provider", "score",
    "if_chosen", "included_in_balanced_subset",
]  # fmt: skip
METADATA_KEYS = [
    "column_id", "user_id", "conversation_id", "interaction_id", "utterance_id", "pii_flag",
    "pii_manual_flag", "language_flag", "en_flag", "moderation_flag",
]  # fmt: skip
MODERATION_CATEGORIES = [
    "sexual", "hate", "harassment", "self-harm", "sexual/minors", "hate/threatening",
    "violence/graphic", "self-harm/intent", "self-harm/instructions", "harassment/threatening",
    "violence",
]  # fmt: skip
PERSPECTIVE_COLUMNS = [
    "text_hash", "TOXICITY", "AFFINITY_EXPERIMENTAL", "COMPASSION_EXPERIMENTAL",
    "CURIOSITY_EXPERIMENTAL", "NUANCE_EXPERIMENTAL", "PERSONAL_STORY_EXPERIMENTAL",
    "REASONING_EXPERIMENTAL", "RESPECT_EXPERIMENTAL",
]  # fmt: skip
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
TYPES = {"unguided", "values guided", "controversy guided"}


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]


@pytest.fixture(scope="module")
def data(small_prism_dir: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        name: _read(small_prism_dir / f"{name}.jsonl")
        for name in ("survey", "conversations", "utterances", "metadata")
    }


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def test_lines_are_json_dumps_defaults(small_prism_dir: Path) -> None:
    for name in ("survey", "conversations", "utterances", "metadata"):
        raw = (small_prism_dir / f"{name}.jsonl").read_bytes()
        assert raw.endswith(b"\n") and raw.isascii()
        for line in raw.decode().splitlines()[:50]:
            row = json.loads(line)
            assert json.dumps(row) == line, f"{name}: not json.dumps default formatting"


def test_survey_schema(data: dict) -> None:
    rows = data["survey"]
    assert [r["user_id"] for r in rows] == [f"user{k}" for k in range(len(rows))]
    n_null_usecases = 0
    for r in rows:
        assert list(r) == SURVEY_KEYS
        assert list(r["location"]) == LOCATION_KEYS
        assert list(r["religion"]) == ["self_described", "categorised", "simplified"]
        assert list(r["ethnicity"]) == ["self_described", "categorised", "simplified"]
        assert list(r["lm_usecases"]) == [*USECASE_KEYS, "other_text"]
        assert list(r["order_lm_usecases"]) == USECASE_KEYS
        assert list(r["stated_prefs"]) == [*PREF_KEYS, "other_text"]
        assert list(r["order_stated_prefs"]) == PREF_KEYS
        assert _is_int(r["num_completed_conversations"])
        assert r["survey_only"] is (r["num_completed_conversations"] == 0)
        assert isinstance(r["timing_duration_s"], int | float)
        assert r["timing_duration_mins"] == round(r["timing_duration_s"] / 60, 2)
        assert DATETIME.match(r["generated_datetime"])
        assert re.fullmatch(r"[0-9a-f]{24}", r["study_id"])
        assert r["study_locale"] == r["study_locale"].lower()
        assert all(
            _is_int(r["stated_prefs"][k]) and 0 <= r["stated_prefs"][k] <= 100 for k in PREF_KEYS
        )
        order = r["order_stated_prefs"]
        assert sorted(order.values()) == list(range(1, 10)) and order["other"] == 9
        shown = "Yes" in (r["lm_direct_use"], r["lm_indirect_use"])
        usecases, use_order = r["lm_usecases"], r["order_lm_usecases"]
        if shown:
            assert r["lm_frequency_use"] is not None
            assert all(usecases[k] in (0, 1) for k in USECASE_KEYS)
            assert sorted(use_order.values()) == list(range(1, 20)) and use_order["other"] == 19
        else:
            n_null_usecases += 1
            assert r["lm_frequency_use"] is None
            assert all(v is None for v in usecases.values())
            assert all(v is None for v in use_order.values())
        if r["included_in_US_REP"] or r["included_in_UK_REP"]:
            assert r["included_in_balanced_subset"]
    assert n_null_usecases > 0
    assert any(r["survey_only"] for r in rows)


def test_conversation_schema_and_invariants(data: dict) -> None:
    convs = data["conversations"]
    survey = {r["user_id"]: r for r in data["survey"]}
    assert [c["conversation_id"] for c in convs] == [f"c{k}" for k in range(len(convs))]
    identical_pairs = 0
    per_user: Counter[str] = Counter()
    for c in convs:
        assert list(c) == CONVERSATION_KEYS
        assert c["conversation_type"] in TYPES
        user = survey[c["user_id"]]
        assert user["survey_only"] is False
        assert user["generated_datetime"] < c["generated_datetime"]
        per_user[c["user_id"]] += 1
        for key in ("performance_attributes", "choice_attributes"):
            assert list(c[key]) == FEEDBACK_KEYS
            assert all(v is None or (_is_int(v) and 1 <= v <= 100) for v in c[key].values())
        assert isinstance(c["timing_duration_s"], float)
        assert c["timing_duration_mins"] == round(c["timing_duration_s"] / 60, 2)
        assert c["open_feedback"] and c["open_feedback"] != "EMPTY STRING"
        history = c["conversation_history"]
        assert c["opening_prompt"] == history[0]["content"] and history[0]["role"] == "user"
        by_turn: dict[int, list[dict]] = defaultdict(list)
        for entry in history:
            keys = USER_ENTRY_KEYS if entry["role"] == "user" else MODEL_ENTRY_KEYS
            assert list(entry) == keys
            by_turn[entry["turn"]].append(entry)
        assert list(by_turn) == list(range(c["conversation_turns"]))
        assert c["conversation_turns"] >= 2
        turn0_models = by_turn[0][1:]
        assert by_turn[0][0]["role"] == "user" and 2 <= len(turn0_models) <= 4
        assert len({m["model_name"] for m in turn0_models}) == len(turn0_models)
        assert [m["within_turn_id"] for m in turn0_models] == list(range(len(turn0_models)))
        winners = [m for m in turn0_models if m["if_chosen"]]
        assert len(winners) == 1
        assert winners[0]["score"] == max(m["score"] for m in turn0_models)
        for t in range(1, c["conversation_turns"]):
            user_entry, *models = by_turn[t]
            assert user_entry["role"] == "user" and len(models) == 2
            assert [m["within_turn_id"] for m in models] == [0, 1]
            assert {(m["model_name"], m["model_provider"]) for m in models} == {
                (winners[0]["model_name"], winners[0]["model_provider"])
            }
            assert any(m["if_chosen"] for m in models)
            if models[0]["content"] == models[1]["content"]:
                identical_pairs += 1
                assert all(m["if_chosen"] for m in models)
        for m in (e for e in history if e["role"] == "model"):
            assert _is_int(m["score"]) and 1 <= m["score"] <= 100
            assert isinstance(m["if_chosen"], bool) and _is_int(m["within_turn_id"])
    assert identical_pairs > 0
    for user_id, n in per_user.items():
        assert survey[user_id]["num_completed_conversations"] == n
    conversing = {u for u, r in survey.items() if not r["survey_only"]}
    assert set(per_user) == conversing


def test_utterances_mirror_history_and_ids(data: dict) -> None:
    utts = data["utterances"]
    expected = []
    for c in data["conversations"]:
        prompt = None
        for e in c["conversation_history"]:
            if e["role"] == "user":
                prompt = e["content"]
                continue
            expected.append(
                {
                    "conversation_id": c["conversation_id"],
                    "user_id": c["user_id"],
                    "turn": e["turn"],
                    "within_turn_id": e["within_turn_id"],
                    "conversation_type": c["conversation_type"],
                    "user_prompt": prompt,
                    "model_response": e["content"],
                    "model_name": e["model_name"],
                    "model_provider": e["model_provider"],
                    "score": e["score"],
                    "if_chosen": e["if_chosen"],
                    "included_in_balanced_subset": c["included_in_balanced_subset"],
                }
            )
    assert len(utts) == len(expected)
    for k, (u, e) in enumerate(zip(utts, expected, strict=True)):
        assert list(u) == UTTERANCE_KEYS
        assert u["utterance_id"] == f"ut{k}"
        assert {key: u[key] for key in e} == e
    groups = sorted({(u["conversation_id"], u["turn"]) for u in utts})
    label = {g: f"int{k}" for k, g in enumerate(groups)}
    assert all(u["interaction_id"] == label[(u["conversation_id"], u["turn"])] for u in utts)
    assert sum(u["model_response"] == "EMPTY STRING" for u in utts) > 0
    # Exact score ties at the top of an opener, which the random tie-break must handle.
    top = defaultdict(list)
    for u in utts:
        if u["turn"] == 0:
            top[u["interaction_id"]].append(u["score"])
    assert any(sorted(s)[-1] == sorted(s)[-2] for s in top.values())


def test_lexicographic_interaction_ids_are_not_file_ordered(data: dict) -> None:
    ids = [u["interaction_id"] for u in data["utterances"] if u["turn"] == 0]
    by_conv = {
        u["conversation_id"]: u["interaction_id"] for u in data["utterances"] if u["turn"] == 0
    }
    assert by_conv["c0"] == "int0"
    assert int(by_conv["c10"][3:]) < int(by_conv["c2"][3:])
    assert ids != sorted(ids, key=lambda s: int(s[3:]))


def test_balanced_subset_consistency(data: dict) -> None:
    balanced_users = {
        c["user_id"] for c in data["conversations"] if c["included_in_balanced_subset"]
    }
    for r in data["survey"]:
        assert r["included_in_balanced_subset"] is (r["user_id"] in balanced_users)


def test_metadata_rows_and_flags(data: dict, small_prism_dir: Path) -> None:
    meta = data["metadata"]
    utts, convs, survey = data["utterances"], data["conversations"], data["survey"]
    counts = Counter(m["column_id"] for m in meta)
    assert counts == {
        "model_response": len(utts),
        "user_prompt": len({u["interaction_id"] for u in utts}),
        "open_feedback": len(convs),
        "self_description": len(survey),
        "system_string": len(survey),
    }
    null_pattern = {
        "model_response": (True, True, True),
        "user_prompt": (True, True, False),
        "open_feedback": (True, False, False),
        "self_description": (False, False, False),
        "system_string": (False, False, False),
    }
    human = {"user_prompt", "open_feedback", "self_description", "system_string"}
    for m in meta:
        assert list(m) == METADATA_KEYS
        ids = (m["conversation_id"], m["interaction_id"], m["utterance_id"])
        assert tuple(v is not None for v in ids) == null_pattern[m["column_id"]]
        assert m["en_flag"] is (m["language_flag"] == "en")
        if m["column_id"] in human and m["pii_flag"]:
            assert m["pii_manual_flag"] is False
        else:
            assert m["pii_manual_flag"] != m["pii_manual_flag"], "missing must be NaN"
        mod = m["moderation_flag"]
        assert list(mod) == ["flagged", "categories", "category_scores"]
        assert list(mod["categories"]) == MODERATION_CATEGORIES
        assert list(mod["category_scores"]) == MODERATION_CATEGORIES
        assert mod["flagged"] is any(mod["categories"].values())
        assert all(
            isinstance(v, float) and round(v, 2) == v for v in mod["category_scores"].values()
        )
    assert b": NaN" in (small_prism_dir / "metadata.jsonl").read_bytes()
    languages = {
        m["language_flag"] for m in meta if m["column_id"] in ("user_prompt", "model_response")
    }
    assert languages - {"en"}, "no non-English texts"


def test_non_english_texts_are_escaped_and_flagged(data: dict) -> None:
    prompt_lang = {
        m["interaction_id"]: m["language_flag"]
        for m in data["metadata"]
        if m["column_id"] == "user_prompt"
    }
    foreign = [u for u in data["utterances"] if prompt_lang[u["interaction_id"]] != "en"]
    assert foreign
    assert any(not u["user_prompt"].isascii() for u in foreign)


def test_perspective_scores(data: dict, small_prism_dir: Path) -> None:
    with (small_prism_dir / "perspective_scores.csv").open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    assert header == PERSPECTIVE_COLUMNS
    by_hash = {r[0]: r[1:] for r in rows}
    assert len(by_hash) == len(rows)
    lang: dict[str, str] = {}
    for m in data["metadata"]:
        if m["column_id"] == "model_response":
            lang[data["utterances"][int(m["utterance_id"][2:])]["model_response"]] = m[
                "language_flag"
            ]
    prompts = {
        e["content"]
        for c in data["conversations"]
        for e in c["conversation_history"]
        if e["role"] == "user"
    }
    responses = {u["model_response"] for u in data["utterances"]} - {"EMPTY STRING"}
    expected = {hashlib.sha256(t.encode()).hexdigest() for t in prompts | responses}
    assert set(by_hash) == expected
    assert hashlib.sha256(b"EMPTY STRING").hexdigest() not in by_hash
    for text, code in lang.items():
        if text == "EMPTY STRING":
            continue
        values = by_hash[hashlib.sha256(text.encode()).hexdigest()]
        assert values[0] != "" and 0 <= float(values[0]) <= 1
        if code == "en":
            assert all(v != "" and 0 <= float(v) <= 1 for v in values)
        else:
            assert all(v == "" for v in values[1:])
    assert any(lang_code != "en" for lang_code in lang.values())
    sig = [v for r in rows[:200] for v in r[1:] if v]
    assert sig and all(float(v) == float(f"{float(v):.7g}") for v in sig)


def test_manifest_and_truth(small_prism_dir: Path, data: dict) -> None:
    manifest = json.loads((small_prism_dir / "MANIFEST.json").read_text())
    assert manifest["dataset_source"] == "synthetic"
    assert manifest["dataset_revision"] == "synthetic:small:seed=0"
    assert manifest["scale"] == "small" and manifest["seed"] == 0
    assert manifest["counts"]["utterances"] == len(data["utterances"])
    truth = json.loads((small_prism_dir / "truth.json").read_text())
    assert truth["attributes"] == list(ATTRIBUTES)
    assert truth["preset"] == "paper"
    assert truth["score"]["beta"]["reasoning_nuance"] == 1.217
    assert truth["score"]["lambda"] == 0.244
    assert truth["mirroring"]["B"]["respect"]["compassion"] == -0.458
    assert truth["mirroring"]["B"]["compassion"]["respect"] == 0.202
    assert truth["score"]["gamma"]["has_high_values"]["reasoning_nuance"] == -0.294
    assert truth["analysis_1a"]["planted"] is False
    for key in ("sd_user", "sd_conversation", "sd_model", "sigma", "mu", "delta"):
        assert key in truth["score"]
    assert set(truth["clipping"]["mirroring_rate"]) == set(ATTRIBUTES)
    assert max(truth["clipping"]["mirroring_rate"].values()) < 0.02
