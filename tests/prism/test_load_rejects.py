"""Damaged copies of the tiny PRISM: every bad line is rejected with its line number and why."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.prism.load import load_prism_directory, load_prism_file
from tests.prism.tiny import conversation_row, survey_row, tiny_rows, write_tiny


def _dumps(row: dict) -> str:
    return json.dumps(row)


def _without(row: dict, key: str) -> dict:
    return {k: v for k, v in row.items() if k != key}


def _damaged_lines() -> tuple[dict[str, list[str]], dict[tuple[str, int], str]]:
    """Clean lines with damage appended, and the reason expected for each damaged line."""
    rows = tiny_rows()
    lines = {kind: [_dumps(r) for r in kind_rows] for kind, kind_rows in rows.items()}
    expected: dict[tuple[str, int], str] = {}

    def add(kind: str, line: str, reason: str) -> None:
        lines[kind].append(line)
        expected[(f"{kind}.jsonl", len(lines[kind]))] = reason

    survey = survey_row(5)
    add("survey", lines["survey"][0], "duplicate `user_id` `user0` (first seen on line 1)")
    add("survey", "", "blank line")
    add("survey", _dumps(_without(survey_row(6), "age")), "missing required key `age`")
    add(
        "survey",
        _dumps(survey | {"num_completed_conversations": "abc"}),
        'wrong type for `num_completed_conversations` (expected INTEGER, got "abc")',
    )
    add(
        "survey",
        _dumps(survey | {"num_completed_conversations": 2.5}),
        "wrong type for `num_completed_conversations` (expected INTEGER, got 2.5)",
    )
    add("survey", _dumps(survey | {"gender": float("nan")}), "null value for `gender`")
    add(
        "survey",
        _dumps(survey | {"stated_prefs": survey["stated_prefs"] | {"safety": 101}}),
        "out of range: stated_prefs.safety 101 not in 0..100",
    )
    add(
        "survey",
        _dumps(survey | {"location": "Chile"}),
        'wrong type for `location` (expected object, got "Chile")',
    )
    add(
        "survey",
        '{"user_id": "user7", "user_id": "user8"}',
        "duplicate key `user_id`",
    )

    conversation = conversation_row(5, 0)
    full = lines["conversations"][0]
    cut = full.index("unguided")
    # Truncated inside the string value, whose opening quote is at column `cut`.
    add(
        "conversations",
        full[: cut + 4],
        f"malformed JSON: Unterminated string starting at column {cut}",
    )
    add(
        "conversations",
        '{"conversation_id": "c7", oops}',
        "malformed JSON: Expecting property name enclosed in double quotes at column 27",
    )
    add("conversations", "[1, 2]", "not a JSON object (got ARRAY)")
    history = [dict(e) for e in conversation["conversation_history"]]
    history[2]["score"] = 250
    add(
        "conversations",
        _dumps(conversation | {"conversation_history": history}),
        "out of range: conversation_history[2].score 250 not in 1..100",
    )
    history = [dict(e) for e in conversation["conversation_history"]]
    history[4]["if_chosen"] = "yes"
    add(
        "conversations",
        _dumps(conversation | {"conversation_id": "c6", "conversation_history": history}),
        'wrong type for `conversation_history[4].if_chosen` (expected BOOLEAN, got "yes")',
    )
    add(
        "conversations",
        _dumps(conversation | {"conversation_id": "c8", "user_id": "user99"}),
        "orphan: user `user99` not in survey",
    )
    add(
        "conversations",
        _dumps(conversation | {"conversation_id": "c9", "performance_attributes": {"values": 0}}),
        "out of range: performance_attributes.values 0 not in 1..100",
    )

    utterance = rows["utterances"][0]
    add(
        "utterances",
        _dumps(utterance | {"utterance_id": "ut50", "conversation_id": "c99"}),
        "orphan: conversation `c99` not in conversations",
    )
    add(
        "utterances",
        _dumps(utterance | {"utterance_id": "ut51", "score": 0}),
        "out of range: score 0 not in 1..100",
    )
    add(
        "utterances",
        lines["utterances"][3],
        "duplicate `utterance_id` `ut3` (first seen on line 4)",
    )
    add(
        "utterances",
        _dumps(utterance | {"utterance_id": "ut52", "within_turn_id": 4}),
        "out of range: within_turn_id 4 not in 0..3",
    )
    add(
        "utterances",
        _dumps(utterance | {"utterance_id": "ut53", "turn": -1}),
        "out of range: turn -1 not in 0..49",
    )
    add(
        "utterances",
        _dumps(utterance | {"utterance_id": "ut54", "model_response": None}),
        "null value for `model_response`",
    )

    meta = rows["metadata"][0]
    add(
        "metadata",
        _dumps(meta | {"user_id": "user3", "pii_manual_flag": "no"}),
        'wrong type for `pii_manual_flag` (expected BOOLEAN, got "no")',
    )
    moderation = json.loads(json.dumps(meta["moderation_flag"]))
    moderation["category_scores"]["self-harm/intent"] = 1.5
    add(
        "metadata",
        _dumps(meta | {"user_id": "user4", "moderation_flag": moderation}),
        "out of range: moderation_flag.category_scores.self-harm/intent 1.5 not in 0..1",
    )
    moderation = json.loads(json.dumps(meta["moderation_flag"]))
    del moderation["categories"]["violence"]
    add(
        "metadata",
        _dumps(meta | {"user_id": "user5", "moderation_flag": moderation}),
        "missing required key `moderation_flag.categories.violence`",
    )
    add(
        "metadata",
        _dumps(meta | {"column_id": "user_prompt", "interaction_id": "int404"}),
        "orphan: interaction `int404` not in utterances",
    )
    add(
        "metadata",
        lines["metadata"][4],
        "duplicate (`column_id`, `user_id`, `conversation_id`, `interaction_id`, "
        "`utterance_id`) = (`open_feedback`, `user1`, `c1`, null, null) (first seen on line 5)",
    )
    return lines, expected


def _write(directory: Path, lines: dict[str, list[str]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for kind, kind_lines in lines.items():
        content = "".join(line + "\n" for line in kind_lines).encode()
        if kind == "metadata":
            # One file arrives gzipped with a line that is not UTF-8.
            content += b'{"column_id": "caf\xe9"}\n'
            (directory / "metadata.jsonl.gz").write_bytes(gzip.compress(content))
        else:
            (directory / f"{kind}.jsonl").write_bytes(content)


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[Path, dict[str, list[str]], dict[tuple[str, int], str]]:
    lines, expected = _damaged_lines()
    expected[("metadata.jsonl", len(lines["metadata"]) + 1)] = (
        "invalid UTF-8 at byte 19 of the line"
    )
    directory = tmp_path / "damaged"
    _write(directory, lines)
    return directory, lines, expected


def test_every_damaged_line_is_rejected_with_line_and_reason(
    con: duckdb.DuckDBPyConnection, damaged
) -> None:
    directory, lines, expected = damaged
    reports = load_prism_directory(con, directory, "prism", "test-rev")

    rejects = con.execute(
        "SELECT file, line_number, reason FROM raw.prism_rejects ORDER BY file, line_number"
    ).fetchall()
    assert {(f, n): r for f, n, r in rejects} == expected
    clean = {kind: len(rows) for kind, rows in tiny_rows().items()}
    for kind, report in reports.items():
        read = len(lines[kind]) + (1 if kind == "metadata" else 0)
        assert report.lines_read == read
        assert report.rows_loaded == clean[kind]
        assert report.rows_loaded + report.rows_rejected == report.lines_read
        (in_table,) = con.execute(f"SELECT count(*) FROM {report.table}").fetchone()
        assert in_table == clean[kind]
    assert reports["survey"].reject_reasons == {
        "blank line": 1,
        "duplicate": 1,
        "duplicate key": 1,
        "missing required key": 1,
        "null value": 1,
        "out of range": 1,
        "wrong type": 3,
    }


def test_rejects_keep_the_raw_line_and_provenance(con: duckdb.DuckDBPyConnection, damaged) -> None:
    directory, lines, _ = damaged
    load_prism_directory(con, directory, "prism", "test-rev")
    raw_line, source, revision = con.execute(
        "SELECT raw_line, _dataset_source, _dataset_revision FROM raw.prism_rejects "
        "WHERE file = 'conversations.jsonl' AND line_number = 4"
    ).fetchone()
    assert raw_line == lines["conversations"][3]
    assert (source, revision) == ("prism", "test-rev")


def test_load_log_reconciles(con: duckdb.DuckDBPyConnection, damaged) -> None:
    directory, _, expected = damaged
    load_prism_directory(con, directory, "prism", "test-rev")
    for file, read, loaded, rejected in con.execute(
        "SELECT file, lines_read, rows_loaded, rows_rejected FROM raw.prism_load_log"
    ).fetchall():
        assert read == loaded + rejected
        assert rejected == sum(1 for f, _ in expected if f == file)


def test_crlf_line_endings_load_clean(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    lines = write_tiny(tmp_path / "crlf")
    path = tmp_path / "crlf" / "survey.jsonl"
    path.write_bytes("".join(line + "\r\n" for line in lines["survey"]).encode())
    report = load_prism_file(con, "survey", path, "prism", "r")
    assert (report.rows_loaded, report.rows_rejected) == (3, 0)


def test_single_file_without_parents_notes_skipped_orphan_check(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path
) -> None:
    report = load_prism_file(con, "utterances", tiny_dir / "utterances.jsonl", "prism", "r")
    assert report.rows_rejected == 0
    assert report.notes == (
        "orphan check of `conversation_id` skipped: raw.prism_conversations has not been loaded",
        "orphan check of `user_id` skipped: raw.prism_survey has not been loaded",
        "consistency check against the conversation histories skipped: "
        "raw.prism_conversations has not been loaded",
    )


def test_unexpected_keys_are_reported(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "survey.jsonl"
    # The second line has as many keys as the codebook requires, but one is not the codebook's:
    # it is rejected for the missing key, and its stray key is still reported.
    renamed = survey_row(1)
    renamed["hat"] = renamed.pop("age")
    path.write_text(
        "".join(
            _dumps(row) + "\n"
            for row in (survey_row(0) | {"shoe_size": 42}, renamed, survey_row(2))
        )
    )
    report = load_prism_file(con, "survey", path, "prism", "r")
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    assert report.notes == (
        "unexpected key `hat` on 1 lines was not loaded",
        "unexpected key `shoe_size` on 1 lines was not loaded",
    )


def test_a_duplicate_is_counted_from_the_first_line_that_passed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # The first user0 is rejected for its gender, so the second is the one loaded and the
    # third repeats it; null ids (metadata's) are compared in
    # test_every_damaged_line_is_rejected_with_line_and_reason.
    path = tmp_path / "survey.jsonl"
    rows = (survey_row(0) | {"gender": "Mal"}, survey_row(0), survey_row(1), survey_row(0))
    path.write_text("".join(_dumps(row) + "\n" for row in rows))
    report = load_prism_file(con, "survey", path, "prism", "r")
    assert (report.rows_loaded, report.rows_rejected) == (2, 2)
    rejects = con.execute(
        "SELECT line_number, reason FROM raw.prism_rejects ORDER BY line_number"
    ).fetchall()
    assert rejects[1] == (4, "duplicate `user_id` `user0` (first seen on line 2)")
    assert rejects[0][0] == 1 and rejects[0][1].startswith("unknown value for `gender`")
    assert con.execute(
        "SELECT _line_number FROM raw.prism_survey ORDER BY _line_number"
    ).fetchall() == [(2,), (3,)]
