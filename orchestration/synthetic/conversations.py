"""conversations.jsonl and utterances.jsonl: conversation plan (type, subset, language) and rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import reference as ref
from .structure import Structure

TYPES: tuple[str, ...] = tuple(ref.CONVERSATION_TYPES)
MIN_FOREIGN_CONVERSATIONS = 3
P_FOREIGN_ANYONE = 0.002


@dataclass(frozen=True)
class ConversationPlan:
    conv_type: np.ndarray  # index into TYPES
    balanced: np.ndarray  # bool
    language: np.ndarray  # "en" or a code from texts.FOREIGN_LANGUAGES


def _types_for_user(k: int, rng: np.random.Generator) -> np.ndarray:
    # The quota was two of each type; some users did fewer, and unguided is over-represented.
    base = np.r_[np.resize(np.arange(3), min(k, 6)), np.zeros(max(k - 6, 0), dtype=np.int64)]
    swap = rng.random(k) < 0.07
    base[swap] = 0
    return rng.permutation(base)


def _balanced(user: np.ndarray, conv_type: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per user keep min-per-type random conversations of each type (the release's subset rule)."""
    out = np.zeros(len(user), dtype=bool)
    order = np.argsort(user, kind="stable")
    bounds = np.flatnonzero(np.r_[True, user[order][1:] != user[order][:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        idx = order[a:b]
        per_type = [idx[conv_type[idx] == t] for t in range(len(TYPES))]
        m = min(len(p) for p in per_type)
        for p in per_type:
            out[rng.choice(p, m, replace=False)] = True
    return out


def draw_plan(
    structure: Structure,
    locale: list[str],
    foreign_codes: tuple[str, ...],
    rng: np.random.Generator,
) -> ConversationPlan:
    user = structure.conv_user
    conv_type = np.zeros(len(user), dtype=np.int64)
    order = np.argsort(user, kind="stable")
    bounds = np.flatnonzero(np.r_[True, user[order][1:] != user[order][:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        conv_type[order[a:b]] = _types_for_user(b - a, rng)

    language = np.full(len(user), "en", dtype=object)
    u = rng.random(len(user))
    anyone = rng.choice(np.array(foreign_codes), len(user))
    for c in range(len(user)):
        local = ref.LOCAL_LANGUAGE.get(locale[user[c]])
        if local is not None and u[c] < local[1]:
            language[c] = local[0]
        elif u[c] > 1 - P_FOREIGN_ANYONE:
            language[c] = anyone[c]
    # Every run, including small ones, must exercise the non-English path.
    missing = MIN_FOREIGN_CONVERSATIONS - int((language != "en").sum())
    if missing > 0:
        english = np.flatnonzero(language == "en")
        language[rng.choice(english, missing, replace=False)] = "es"
    return ConversationPlan(conv_type, _balanced(user, conv_type, rng), language)


def _feedback_attributes(
    n: int, column: int, rng: np.random.Generator
) -> list[dict[str, int | None]]:
    """Performance (column 0) or choice (column 1) sliders per conversation: 1-100 or null."""
    columns: dict[str, list[int | None]] = {}
    for key, spec in ref.FEEDBACK_ATTRIBUTES.items():
        mean, sd, p_null = spec[3 * column : 3 * column + 3]
        m, v = mean / 100, (sd / 100) ** 2
        common = m * (1 - m) / v - 1
        values = np.clip(np.round(rng.beta(m * common, (1 - m) * common, n) * 100), 1, 100)
        null = rng.random(n) < p_null
        columns[key] = [None if z else int(x) for x, z in zip(values, null, strict=True)]
    keys = list(columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]


@dataclass(frozen=True)
class Dialogue:
    """Everything per interaction and utterance that the rows are rendered from."""

    prompt: list[str]  # per interaction
    response: list[str]  # per utterance
    model: np.ndarray  # model index per utterance
    score: np.ndarray
    chosen: np.ndarray


def conversation_rows(
    structure: Structure,
    plan: ConversationPlan,
    dialogue: Dialogue,
    open_feedback: list[str],
    end_times: list[str],
    duration_s: np.ndarray,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    conv_first_int = np.r_[0, np.cumsum(structure.conv_turns)[:-1]]
    performance = _feedback_attributes(structure.n_conversations, 0, rng)
    choice = _feedback_attributes(structure.n_conversations, 1, rng)
    for c in range(structure.n_conversations):
        history: list[dict[str, Any]] = []
        first = int(conv_first_int[c])
        for i in range(first, first + int(structure.conv_turns[c])):
            turn = int(structure.int_turn[i])
            history.append({"turn": turn, "role": "user", "content": dialogue.prompt[i]})
            start = int(structure.int_first_ut[i])
            for ut in range(start, start + int(structure.int_n_options[i])):
                model = ref.MODELS[int(dialogue.model[ut])]
                history.append(
                    {
                        "turn": turn,
                        "role": "model",
                        "content": dialogue.response[ut],
                        "model_provider": model.provider,
                        "model_name": model.name,
                        "score": int(dialogue.score[ut]),
                        "if_chosen": bool(dialogue.chosen[ut]),
                        "within_turn_id": int(structure.ut_within[ut]),
                    }
                )
        duration = float(duration_s[c])
        rows.append(
            {
                "conversation_id": f"c{c}",
                "user_id": f"user{structure.conv_user[c]}",
                "conversation_type": TYPES[plan.conv_type[c]],
                "opening_prompt": dialogue.prompt[first],
                "conversation_turns": int(structure.conv_turns[c]),
                "conversation_history": history,
                "performance_attributes": performance[c],
                "choice_attributes": choice[c],
                "open_feedback": open_feedback[c],
                "generated_datetime": end_times[c],
                "timing_duration_s": duration,
                "timing_duration_mins": round(duration / 60, 2),
                "included_in_balanced_subset": bool(plan.balanced[c]),
            }
        )
    return rows


def utterance_rows(
    structure: Structure, plan: ConversationPlan, dialogue: Dialogue
) -> list[dict[str, Any]]:
    ut_conv = structure.ut_conv
    ut_turn = structure.ut_turn
    rows: list[dict[str, Any]] = []
    for ut in range(structure.n_utterances):
        i = int(structure.ut_int[ut])
        c = int(ut_conv[ut])
        model = ref.MODELS[int(dialogue.model[ut])]
        rows.append(
            {
                "utterance_id": f"ut{ut}",
                "interaction_id": f"int{structure.int_label[i]}",
                "conversation_id": f"c{c}",
                "user_id": f"user{structure.conv_user[c]}",
                "turn": int(ut_turn[ut]),
                "within_turn_id": int(structure.ut_within[ut]),
                "conversation_type": TYPES[plan.conv_type[c]],
                "user_prompt": dialogue.prompt[i],
                "model_response": dialogue.response[ut],
                "model_name": model.name,
                "model_provider": model.provider,
                "score": int(dialogue.score[ut]),
                "if_chosen": bool(dialogue.chosen[ut]),
                "included_in_balanced_subset": bool(plan.balanced[c]),
            }
        )
    return rows
