"""metadata.jsonl: one row per text instance with PII, language and moderation flags (schema §5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .reference import MODERATION_CATEGORIES, MODERATION_CATEGORY_WEIGHTS
from .structure import Structure

# column_id -> (pii_flag rate, moderation flagged rate) from the release's counts by source.
RATES: dict[str, tuple[float, float]] = {
    "user_prompt": (66 / 27172, 454 / 27172),
    "model_response": (944 / 68371, 162 / 68371),
    "open_feedback": (75 / 8011, 11 / 8011),
    "self_description": (10 / 1500, 7 / 1500),
    "system_string": (16 / 1500, 0.0),
}
HUMAN_WRITTEN = frozenset({"user_prompt", "open_feedback", "self_description", "system_string"})


@dataclass(frozen=True)
class TextSource:
    """One column_id's texts: ids per row and what the flags are drawn from."""

    column_id: str
    user: np.ndarray
    conversation: np.ndarray | None
    interaction_label: np.ndarray | None
    utterance: np.ndarray | None
    language: np.ndarray
    toxicity: np.ndarray | None  # raises the chance of a moderation flag


def sources(
    structure: Structure,
    prompt_language: np.ndarray,
    response_language: np.ndarray,
    prompt_toxicity: np.ndarray,
    response_toxicity: np.ndarray,
) -> list[TextSource]:
    n_users = structure.n_users
    users = np.arange(n_users)
    english_users = np.full(n_users, "en", dtype=object)
    ut_conv = structure.ut_conv
    return [
        TextSource(
            "user_prompt",
            structure.conv_user[structure.int_conv],
            structure.int_conv,
            structure.int_label,
            None,
            prompt_language,
            prompt_toxicity,
        ),
        TextSource(
            "model_response",
            structure.conv_user[ut_conv],
            ut_conv,
            structure.int_label[structure.ut_int],
            np.arange(structure.n_utterances),
            response_language,
            response_toxicity,
        ),
        TextSource(
            "open_feedback",
            structure.conv_user,
            np.arange(structure.n_conversations),
            None,
            None,
            np.full(structure.n_conversations, "en", dtype=object),
            None,
        ),
        TextSource("self_description", users, None, None, None, english_users, None),
        TextSource("system_string", users, None, None, None, english_users, None),
    ]


def _moderation(flagged: bool, cats: list[bool], scores: list[float]) -> dict[str, Any]:
    return {
        "flagged": flagged,
        "categories": dict(zip(MODERATION_CATEGORIES, cats, strict=True)),
        "category_scores": dict(zip(MODERATION_CATEGORIES, scores, strict=True)),
    }


def metadata_rows(
    text_sources: list[TextSource], rng: np.random.Generator, nan_token: bool
) -> list[dict[str, Any]]:
    missing_manual: float | None = float("nan") if nan_token else None
    weights = np.array(MODERATION_CATEGORY_WEIGHTS) / sum(MODERATION_CATEGORY_WEIGHTS)
    n_cats = len(MODERATION_CATEGORIES)
    rows: list[dict[str, Any]] = []
    for src in text_sources:
        n = len(src.user)
        p_pii, p_flag = RATES[src.column_id]
        pii = rng.random(n) < p_pii
        p = np.full(n, p_flag)
        if src.toxicity is not None:
            # Moderation and Perspective toxicity agree: flags concentrate on toxic texts.
            p = np.clip(p_flag * src.toxicity / max(float(src.toxicity.mean()), 1e-9), 0, 0.95)
        flagged = rng.random(n) < p
        first_cat = rng.choice(n_cats, n, p=weights)
        second = rng.random(n) < 0.3
        second_cat = rng.choice(n_cats, n, p=weights)
        cats = np.zeros((n, n_cats), dtype=bool)
        cats[flagged, first_cat[flagged]] = True
        cats[flagged & second, second_cat[flagged & second]] = True
        # API scores rounded to 2 decimals: near 0 unless the category fired.
        scores = np.round(rng.beta(0.3, 40.0, (n, n_cats)), 2)
        scores[cats] = np.round(rng.uniform(0.4, 0.99, int(cats.sum())), 2)
        human = src.column_id in HUMAN_WRITTEN
        cat_rows, score_rows = cats.tolist(), scores.tolist()
        for r in range(n):
            lang = str(src.language[r])
            rows.append(
                {
                    "column_id": src.column_id,
                    "user_id": f"user{src.user[r]}",
                    "conversation_id": None
                    if src.conversation is None
                    else f"c{src.conversation[r]}",
                    "interaction_id": (
                        None if src.interaction_label is None else f"int{src.interaction_label[r]}"
                    ),
                    "utterance_id": None if src.utterance is None else f"ut{src.utterance[r]}",
                    "pii_flag": bool(pii[r]),
                    "pii_manual_flag": False if (human and pii[r]) else missing_manual,
                    "language_flag": lang,
                    "en_flag": lang == "en",
                    "moderation_flag": _moderation(bool(flagged[r]), cat_rows[r], score_rows[r]),
                }
            )
    return rows
