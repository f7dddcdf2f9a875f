"""A tiny hand-made PRISM (3 users, 2 conversations) whose every line is known to the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestration.prism.files import (
    ATTRIBUTE_KEYS,
    IDENTITY_KEYS,
    LM_USECASE_KEYS,
    LOCATION_KEYS,
    MODERATION_CATEGORIES,
    STATED_PREF_KEYS,
)

# A location as the release writes it, with a non-ASCII country name (escaped by json.dumps).
TURKIYE = (
    "T\u00fcrkiye", "TUR", "Asia", "Western Asia", "T\u00fcrkiye", "Asia", "Western Asia", "TUR",
    "Yes", "Middle East",
)  # fmt: skip


def survey_row(k: int, *, survey_only: bool = False) -> dict[str, Any]:
    shown = k != 1
    return {
        "user_id": f"user{k}",
        "survey_only": survey_only,
        "num_completed_conversations": 0 if survey_only else 1,
        "consent": "Yes, I consent to take part",
        "consent_age": "I certify that I am 18 years of age or over",
        "lm_familiarity": "Very familiar",
        "lm_indirect_use": "Yes" if shown else "No",
        "lm_direct_use": "Yes" if shown else "No",
        "lm_frequency_use": "Every week" if shown else None,
        "self_description": f"I am participant {k}.",
        "system_string": "Be brief.",
        "age": "25-34 years old",
        "gender": "Female",
        "employment_status": "Student",
        "education": "Vocational",
        "marital_status": "Married",
        "english_proficiency": "Fluent",
        "study_id": "65f0c0ffee0000000000000" + str(k),
        "study_locale": "uk",
        "religion": {key: "Prefer not to say" for key in IDENTITY_KEYS},
        "ethnicity": {key: "White" for key in IDENTITY_KEYS},
        "location": dict(zip(LOCATION_KEYS, TURKIYE, strict=True)),
        "lm_usecases": {key: (i % 2 if shown else None) for i, key in enumerate(LM_USECASE_KEYS)}
        | {"other_text": None},
        "stated_prefs": {key: 10 * i for i, key in enumerate(STATED_PREF_KEYS)}
        | {"other_text": "kindness"},
        "order_lm_usecases": {
            key: (i + 1 if shown else None) for i, key in enumerate(LM_USECASE_KEYS)
        },
        "order_stated_prefs": {key: i + 1 for i, key in enumerate(STATED_PREF_KEYS)},
        "generated_datetime": "2023-11-22 15:48:46",
        "timing_duration_s": 266.0,
        "timing_duration_mins": 4.43,
        "included_in_US_REP": False,
        "included_in_UK_REP": k == 0,
        "included_in_balanced_subset": not survey_only,
    }


def _model(turn: int, wid: int, content: str, score: int, chosen: bool) -> dict[str, Any]:
    return {
        "turn": turn,
        "role": "model",
        "content": content,
        "model_provider": "cohere",
        "model_name": "command",
        "score": score,
        "if_chosen": chosen,
        "within_turn_id": wid,
    }


def conversation_row(c: int, user: int) -> dict[str, Any]:
    history = [
        {"turn": 0, "role": "user", "content": f"Hello {c}"},
        _model(0, 0, "EMPTY STRING", 1, False),
        _model(0, 1, f"Hi there {c}", 90, True),
        {"turn": 1, "role": "user", "content": "Tell me more"},
        _model(1, 0, 'More: NaN, null, "quoted"', 70, True),
        _model(1, 1, "Even more", 60, False),
    ]
    return {
        "conversation_id": f"c{c}",
        "user_id": f"user{user}",
        "conversation_type": "unguided",
        "opening_prompt": f"Hello {c}",
        "conversation_turns": 2,
        "conversation_history": history,
        "performance_attributes": {
            key: (None if key == "values" else 80) for key in ATTRIBUTE_KEYS
        },
        "choice_attributes": {key: 75 for key in ATTRIBUTE_KEYS},
        "open_feedback": "Shorter blocks would  be nice.",
        "generated_datetime": "2023-11-22 15:55:46",
        "timing_duration_s": 401.07,
        "timing_duration_mins": 6.68,
        "included_in_balanced_subset": True,
    }


def utterance_rows(conversations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    interaction = 0
    for conversation in conversations:
        prompt = ""
        for turn in range(conversation["conversation_turns"]):
            for entry in conversation["conversation_history"]:
                if entry["turn"] != turn:
                    continue
                if entry["role"] == "user":
                    prompt = entry["content"]
                    continue
                rows.append(
                    {
                        "utterance_id": f"ut{len(rows)}",
                        "interaction_id": f"int{interaction}",
                        "conversation_id": conversation["conversation_id"],
                        "user_id": conversation["user_id"],
                        "turn": turn,
                        "within_turn_id": entry["within_turn_id"],
                        "conversation_type": conversation["conversation_type"],
                        "user_prompt": prompt,
                        "model_response": entry["content"],
                        "model_name": entry["model_name"],
                        "model_provider": entry["model_provider"],
                        "score": entry["score"],
                        "if_chosen": entry["if_chosen"],
                        "included_in_balanced_subset": True,
                    }
                )
            interaction += 1
    return rows


def metadata_row(
    column_id: str,
    user: str,
    conversation: str | None = None,
    interaction: str | None = None,
    utterance: str | None = None,
    *,
    pii_manual_flag: object = float("nan"),
) -> dict[str, Any]:
    return {
        "column_id": column_id,
        "user_id": user,
        "conversation_id": conversation,
        "interaction_id": interaction,
        "utterance_id": utterance,
        "pii_flag": pii_manual_flag is False,
        "pii_manual_flag": pii_manual_flag,
        "language_flag": "en",
        "en_flag": True,
        "moderation_flag": {
            "flagged": False,
            "categories": {key: False for key in MODERATION_CATEGORIES},
            "category_scores": {key: 0.0 for key in MODERATION_CATEGORIES},
        },
    }


def tiny_rows() -> dict[str, list[dict[str, Any]]]:
    """Rows of the four files: user2 is survey-only; c0 and c1 belong to user0 and user1."""
    survey = [survey_row(0), survey_row(1), survey_row(2, survey_only=True)]
    conversations = [conversation_row(0, 0), conversation_row(1, 1)]
    utterances = utterance_rows(conversations)
    metadata = [
        metadata_row("self_description", f"user{k}", pii_manual_flag=False if k == 0 else None)
        for k in range(3)
    ]
    metadata += [
        metadata_row("open_feedback", c["user_id"], c["conversation_id"]) for c in conversations
    ]
    metadata += [
        metadata_row(
            "model_response",
            u["user_id"],
            u["conversation_id"],
            u["interaction_id"],
            u["utterance_id"],
        )
        for u in utterances
    ]
    return {
        "survey": survey,
        "conversations": conversations,
        "utterances": utterances,
        "metadata": metadata,
    }


def write_tiny(directory: Path) -> dict[str, list[str]]:
    """Write the four files with ``json.dumps`` defaults (bare NaN included); return their lines."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = {kind: [json.dumps(row) for row in rows] for kind, rows in tiny_rows().items()}
    for kind, kind_lines in lines.items():
        (directory / f"{kind}.jsonl").write_text("".join(line + "\n" for line in kind_lines))
    return lines
