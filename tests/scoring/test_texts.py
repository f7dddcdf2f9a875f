"""Planning: empty, oversize and non-English texts, and what is already stored."""

from __future__ import annotations

import pytest

from scoring.attributes import BRIDGING_ATTRIBUTES, MAX_COMMENT_BYTES, PAPER_ATTRIBUTES
from scoring.texts import (
    PlannedRequest,
    PlannedSkip,
    TextRecord,
    plan_text,
    text_hash,
    truncate_utf8,
)


def record(text: str | None, flag: str | None = "en", done=(), failure=(None, None)) -> TextRecord:
    return TextRecord(
        text_hash=text_hash(text or ""),
        text=text,
        language_flag=flag,
        is_empty=False,
        done_attributes=frozenset(done),
        failure_outcome=failure[0],
        failure_type=failure[1],
    )


@pytest.mark.parametrize("char", ["a", "é", "€", "😀"])
def test_truncate_utf8_cuts_on_a_character_boundary(char: str) -> None:
    text = char * 30_000
    cut = truncate_utf8(text, MAX_COMMENT_BYTES)
    size = len(cut.encode("utf-8"))
    assert size <= MAX_COMMENT_BYTES
    assert size > MAX_COMMENT_BYTES - len(char.encode("utf-8"))
    assert text.startswith(cut)


def test_truncate_keeps_short_text() -> None:
    assert truncate_utf8("short", 10) == "short"


def test_text_hash_matches_architecture_rule() -> None:
    assert text_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("text", ["", "   ", "EMPTY STRING", None])
def test_empty_texts_are_skipped(text: str | None) -> None:
    plan = plan_text(record(text), PAPER_ATTRIBUTES)
    assert isinstance(plan, PlannedSkip)
    assert plan.error_type == "EMPTY_TEXT"


def test_oversize_truncated_by_default_and_skippable() -> None:
    long_text = "é" * 10_300
    plan = plan_text(record(long_text), PAPER_ATTRIBUTES)
    assert isinstance(plan, PlannedRequest)
    assert plan.policy == "truncated:20480"
    assert len(plan.text.encode("utf-8")) == MAX_COMMENT_BYTES
    skip = plan_text(record(long_text), PAPER_ATTRIBUTES, oversize="skip")
    assert isinstance(skip, PlannedSkip)
    assert skip.error_type == "COMMENT_TOO_LONG"
    assert "20600 UTF-8 bytes" in skip.message


def test_non_english_requests_only_supported_attributes() -> None:
    plan = plan_text(record("hola a todos", flag="es"), PAPER_ATTRIBUTES)
    assert isinstance(plan, PlannedRequest)
    assert plan.attributes == ("TOXICITY",)
    assert plan.languages == ("es",)
    assert set(plan.skipped_attributes) == set(BRIDGING_ATTRIBUTES)
    assert plan.skip_message and "'es'" in plan.skip_message


def test_unsupported_language_is_skipped_whole_and_force_english_sends() -> None:
    latin = record("lorem ipsum dolor", flag="la")
    skip = plan_text(latin, PAPER_ATTRIBUTES)
    assert isinstance(skip, PlannedSkip)
    assert skip.error_type == "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
    forced = plan_text(latin, PAPER_ATTRIBUTES, language="force_english")
    assert isinstance(forced, PlannedRequest)
    assert forced.languages == ("en",)
    assert forced.attributes == PAPER_ATTRIBUTES


def test_missing_flag_means_english() -> None:
    plan = plan_text(record("hello", flag=None), PAPER_ATTRIBUTES)
    assert isinstance(plan, PlannedRequest) and plan.languages == ("en",)


def test_only_missing_attributes_are_requested() -> None:
    assert plan_text(record("hello", done=PAPER_ATTRIBUTES), PAPER_ATTRIBUTES) is None
    plan = plan_text(record("hello", done=PAPER_ATTRIBUTES[1:]), PAPER_ATTRIBUTES)
    assert isinstance(plan, PlannedRequest) and plan.attributes == PAPER_ATTRIBUTES[:1]


def test_known_skip_is_not_rewritten() -> None:
    spanish = record(
        "hola",
        flag="es",
        done=("TOXICITY",),
        failure=("skipped", "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"),
    )
    assert plan_text(spanish, PAPER_ATTRIBUTES) is None
    empty = record("", failure=("skipped", "EMPTY_TEXT"))
    assert plan_text(empty, PAPER_ATTRIBUTES) is None
