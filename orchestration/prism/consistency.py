"""Cross-file consistency: each utterance must repeat its conversation's history entry.

The release builds utterances.jsonl by flattening each conversation's ``conversation_history``
(codebook §4.2), so an utterance whose score, model or text differs from the entry of the same
turn and within-turn id was damaged in one of the two files. The utterance is the one rejected:
the conversation row is already loaded and may be correct for its other entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.prism.files import CONVERSATIONS

# (utterance column, history entry field) pairs that must be equal.
ENTRY_FIELDS: tuple[tuple[str, str], ...] = (
    ("score", "score"),
    ("model_name", "model_name"),
    ("model_provider", "model_provider"),
    ("if_chosen", "if_chosen"),
    ("model_response", "content"),
)
# Columns copied from the conversation row itself.
CONVERSATION_FIELDS: tuple[str, ...] = ("user_id", "conversation_type")


@dataclass(frozen=True)
class ConsistencySql:
    """Joins onto the checked rows ``c`` and reason expressions that may use them."""

    joins: tuple[str, ...]
    reasons: tuple[str, ...]


def utterance_consistency_sql() -> ConsistencySql:
    """SQL comparing each utterance ``c`` with the loaded ``raw.prism_conversations``."""
    entries = f"""
        LEFT JOIN (
            SELECT conversation_id AS h_conversation_id, e.turn AS h_turn,
                e.within_turn_id AS h_within_turn_id,
                {", ".join(f"e.{field} AS h_{field}" for _, field in ENTRY_FIELDS)}
            FROM (
                SELECT conversation_id, unnest(conversation_history) AS e
                FROM {CONVERSATIONS.table}
            )
            WHERE e.role = 'model'
            -- A damaged history may repeat an entry; the first one is what a reader would use.
            QUALIFY row_number() OVER (
                PARTITION BY conversation_id, e.turn, e.within_turn_id
            ) = 1
        ) h ON c.conversation_id = h.h_conversation_id AND c.turn = h.h_turn
            AND c.within_turn_id = h.h_within_turn_id
        """
    conversations = f"""
        LEFT JOIN (
            SELECT conversation_id AS v_conversation_id,
                {", ".join(f"{column} AS v_{column}" for column in CONVERSATION_FIELDS)}
            FROM {CONVERSATIONS.table}
        ) v ON c.conversation_id = v.v_conversation_id
        """
    where = (
        "'conversation `' || c.conversation_id || '` turn ' || c.turn || "
        "' within_turn_id ' || c.within_turn_id"
    )
    prefix = "'inconsistent with conversations.jsonl: '"
    reasons = [
        f"CASE WHEN v.v_conversation_id IS NOT NULL AND h.h_conversation_id IS NULL THEN "
        f"{prefix} || 'no model entry for ' || {where} END"
    ]
    for column, field in ENTRY_FIELDS:
        reasons.append(
            f"CASE WHEN h.h_conversation_id IS NOT NULL "
            f"AND c.{column} IS DISTINCT FROM h.h_{field} THEN "
            f"{prefix} || '{column} ' || {_shown(f'c.{column}')} || ' but the history entry of ' "
            f"|| {where} || ' has ' || {_shown(f'h.h_{field}')} END"
        )
    for column in CONVERSATION_FIELDS:
        reasons.append(
            f"CASE WHEN v.v_conversation_id IS NOT NULL "
            f"AND c.{column} IS DISTINCT FROM v.v_{column} THEN "
            f"{prefix} || '{column} ' || {_shown(f'c.{column}')} || ' but conversation `' "
            f"|| c.conversation_id || '` has ' || {_shown(f'v.v_{column}')} END"
        )
    return ConsistencySql((entries, conversations), tuple(reasons))


def _shown(value: str) -> str:
    """A value as a short quoted excerpt, ``null`` when missing."""
    text = f"{value}::VARCHAR"
    return (
        f"coalesce('`' || CASE WHEN length({text}) > 40 THEN left({text}, 40) || '...' "
        f"ELSE {text} END || '`', 'null')"
    )
