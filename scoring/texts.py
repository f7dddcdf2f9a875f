"""Which texts still need which attributes, and what exactly to send for each.

Texts come from the staging model ``staging.stg_prism__texts`` (one row per ``text_hash``), so
scoring never parses PRISM. A text is planned against what the score tables already hold for
the same scorer, which is what makes runs incremental: nothing scored is sent again, and a text
that Perspective refused for good is not sent again either.

Policies, chosen for what a careful researcher would expect:

- **Empty texts** (blank, or PRISM's ``"EMPTY STRING"`` placeholder) are never sent; they are
  recorded as ``skipped`` / ``EMPTY_TEXT``.
- **Oversize texts** (over 20,480 UTF-8 bytes, the API limit) are by default cut at the last
  whole character within the limit and every score taken on the cut text says
  ``policy = 'truncated:20480'``; with ``oversize='skip'`` they are recorded as ``skipped`` /
  ``COMMENT_TOO_LONG`` instead. Truncation keeps the text in the analysis (Perspective's own
  TOXICITY model reads only about the first 1,500 tokens anyway) while the policy column lets
  an analysis drop or flag those scores.
- **Language** (``language='per_language'``, the default): each text is sent with
  ``languages`` set to PRISM's ``language_flag`` (``en`` when the flag is missing), and only the
  attributes Perspective documents for that language are requested. The English-only attributes
  (all seven bridging attributes) are therefore not requested for, say, a Spanish text; the text
  gets its TOXICITY score and a ``skipped`` / ``LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE`` row naming
  the attributes left out. Forcing ``languages: ["en"]`` would make the API return English-model
  numbers for text the model was not trained on, which look like data but are not. The paper
  analyses English conversations only, so nothing it uses is lost. ``language='force_english'``
  sends every text as English for those who want that anyway (the ``languages`` column shows it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from scoring.attributes import MAX_COMMENT_BYTES, supports
from scoring.errors import RUN_LEVEL_ERROR_TYPES
from scoring.store import FAILURES_TABLE, SCORES_TABLE

TEXTS_TABLE = "staging.stg_prism__texts"
EMPTY_PLACEHOLDER = "EMPTY STRING"

OversizePolicy = Literal["truncate", "skip"]
LanguagePolicy = Literal["per_language", "force_english"]


def text_hash(text: str) -> str:
    """The project's text identity: sha256 of the exact UTF-8 bytes, lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits in ``max_bytes``.

    Cutting the bytes and dropping a trailing partial sequence keeps the cut on a character
    boundary without walking the string character by character.
    """
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


@dataclass(frozen=True)
class TextRecord:
    """One staging text plus what the score tables already hold for it under one scorer."""

    text_hash: str
    text: str | None
    language_flag: str | None
    is_empty: bool
    done_attributes: frozenset[str]
    failure_outcome: str | None = None
    failure_type: str | None = None


@dataclass(frozen=True)
class PlannedRequest:
    """What to send for one text, and what to record about the attributes left out."""

    text_hash: str
    text: str
    attributes: tuple[str, ...]
    languages: tuple[str, ...]
    policy: str
    skipped_attributes: tuple[str, ...]
    skip_message: str | None
    had_failure: bool


@dataclass(frozen=True)
class PlannedSkip:
    """A text that will not be sent, with the reason to record."""

    text_hash: str
    error_type: str
    message: str


def load_text_records(
    conn: duckdb.DuckDBPyConnection, scorer: str, texts_table: str = TEXTS_TABLE
) -> list[TextRecord]:
    """Every staging text not refused for good under ``scorer``, ordered by hash.

    A failure row blocks a text only when it is an API verdict on the text itself; failures
    that describe the run (bad key, endpoint gone, retries exhausted) leave it pending.
    """
    run_level = ", ".join(f"'{t}'" for t in sorted(RUN_LEVEL_ERROR_TYPES))
    rows = conn.execute(
        f"""
        with done as (
            select text_hash, list(attribute) as attributes
            from {SCORES_TABLE} where scorer = $scorer group by text_hash
        )
        select t.text_hash, t.text, t.language_flag, coalesce(t.is_empty, false),
               coalesce(d.attributes, []), f.outcome, f.error_type
        from {texts_table} t
        left join done d on d.text_hash = t.text_hash
        left join {FAILURES_TABLE} f on f.text_hash = t.text_hash and f.scorer = $scorer
        where f.outcome is null or f.outcome = 'skipped' or f.error_type in ({run_level})
        order by t.text_hash
        """,
        {"scorer": scorer},
    ).fetchall()
    return [
        TextRecord(
            text_hash=h,
            text=text,
            language_flag=flag,
            is_empty=bool(empty),
            done_attributes=frozenset(attrs),
            failure_outcome=outcome,
            failure_type=error_type,
        )
        for h, text, flag, empty, attrs, outcome, error_type in rows
    ]


def _is_empty(record: TextRecord) -> bool:
    text = record.text
    return record.is_empty or text is None or not text.strip() or text == EMPTY_PLACEHOLDER


def plan_text(
    record: TextRecord,
    attributes: Sequence[str],
    *,
    oversize: OversizePolicy = "truncate",
    language: LanguagePolicy = "per_language",
) -> PlannedRequest | PlannedSkip | None:
    """Decide what to do with one text; ``None`` when it has everything it can get."""
    wanted = [a for a in attributes if a not in record.done_attributes]
    if not wanted:
        return None
    skip = _plan_skip(record, wanted, oversize=oversize, language=language)
    if skip is not None:
        # The same verdict is already on file: writing it again would only churn the table.
        already = (record.failure_outcome, record.failure_type) == ("skipped", skip.error_type)
        return None if already else skip
    assert record.text is not None
    lang = "en" if language == "force_english" else (record.language_flag or "en")
    sendable = tuple(a for a in wanted if supports(a, lang))
    left_out = tuple(a for a in wanted if not supports(a, lang))
    text, policy = record.text, "none"
    if len(text.encode("utf-8")) > MAX_COMMENT_BYTES:
        text, policy = truncate_utf8(text, MAX_COMMENT_BYTES), f"truncated:{MAX_COMMENT_BYTES}"
    return PlannedRequest(
        text_hash=record.text_hash,
        text=text,
        attributes=sendable,
        languages=(lang,),
        policy=policy,
        skipped_attributes=left_out,
        skip_message=_language_message(lang, left_out) if left_out else None,
        had_failure=record.failure_outcome is not None,
    )


def _plan_skip(
    record: TextRecord,
    wanted: Sequence[str],
    *,
    oversize: OversizePolicy,
    language: LanguagePolicy,
) -> PlannedSkip | None:
    if _is_empty(record):
        return PlannedSkip(record.text_hash, "EMPTY_TEXT", "empty text or 'EMPTY STRING'; not sent")
    assert record.text is not None
    n_bytes = len(record.text.encode("utf-8"))
    if n_bytes > MAX_COMMENT_BYTES and oversize == "skip":
        return PlannedSkip(
            record.text_hash,
            "COMMENT_TOO_LONG",
            f"text is {n_bytes} UTF-8 bytes, over the {MAX_COMMENT_BYTES}-byte limit; "
            "oversize policy 'skip'",
        )
    lang = "en" if language == "force_english" else (record.language_flag or "en")
    if not any(supports(a, lang) for a in wanted):
        return PlannedSkip(
            record.text_hash,
            "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
            _language_message(lang, tuple(wanted)),
        )
    return None


def _language_message(language: str, attributes: Sequence[str]) -> str:
    return (
        f"not requested for language '{language}' (PRISM language_flag), which Perspective "
        f"does not support for: {', '.join(attributes)}"
    )
