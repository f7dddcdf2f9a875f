"""The codebook's domains at load: each damage class is rejected by line, with a reason, and the
lines that depend on a rejected line go with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from orchestration.prism.load import load_prism_directory, load_prism_file
from tests.prism.tiny import conversation_row, survey_row, tiny_rows


def _history_with(conversation: dict[str, Any], index: int, **changes: Any) -> list[dict]:
    history = [dict(entry) for entry in conversation["conversation_history"]]
    history[index] |= changes
    return history


def _damaged() -> tuple[dict[str, list[str]], dict[tuple[str, int], str]]:
    rows = tiny_rows()
    lines = {kind: [json.dumps(r) for r in kind_rows] for kind, kind_rows in rows.items()}
    expected: dict[tuple[str, int], str] = {}

    def add(kind: str, line: str, reason: str) -> None:
        lines[kind].append(line)
        expected[(f"{kind}.jsonl", len(lines[kind]))] = reason

    survey = survey_row(7)
    add(
        "survey",
        json.dumps(survey | {"gender": "Mal"}),
        'unknown value for `gender`: "Mal" (the codebook allows Male | Female | '
        "Non-binary / third gender | Prefer not to say)",
    )
    add(
        "survey",
        json.dumps(survey | {"user_id": "user8", "timing_duration_s": 1e308}),
        "out of range: timing_duration_s 1e308 not in 0..2678400",
    )
    add(
        "survey",
        json.dumps(survey | {"user_id": "user9", "generated_datetime": "2023-11-22T15:48:46Z"}),
        'bad format for `generated_datetime`: "2023-11-22T15:48:46Z" (expected YYYY-MM-DD '
        "HH:MM:SS)",
    )
    add(
        "survey",
        json.dumps(survey | {"user_id": "user10", "generated_datetime": "2023-13-45 25:00:00"}),
        'bad format for `generated_datetime`: "2023-13-45 25:00:00" (expected YYYY-MM-DD HH:MM:SS)',
    )
    location = dict(survey["location"]) | {"birth_region": "Atlantis"}
    add(
        "survey",
        json.dumps(survey | {"user_id": "user11", "location": location}),
        'unknown value for `location.birth_region`: "Atlantis" (the codebook allows Europe | '
        "Americas | Africa | Asia | Oceania | Prefer not to say)",
    )
    # Strict JSON: DuckDB's parser would take the trailing comma; the release never has one.
    good = json.dumps(survey | {"user_id": "user12"})
    add(
        "survey",
        good[:-1] + ", }",
        "malformed JSON: Expecting property name enclosed in double quotes at column "
        f"{len(good) + 2}",
    )

    conversation = conversation_row(5, 0)
    add(
        "conversations",
        json.dumps(conversation | {"conversation_type": "chit chat"}),
        'unknown value for `conversation_type`: "chit chat" (the codebook allows unguided | '
        "values guided | controversy guided)",
    )
    add(
        "conversations",
        json.dumps(
            conversation
            | {
                "conversation_id": "c6",
                "conversation_history": _history_with(conversation, 3, role="bot"),
            }
        ),
        'unknown value for `conversation_history[3].role`: "bot" (the codebook allows user | '
        "model)",
    )
    add(
        "conversations",
        json.dumps(
            conversation
            | {
                "conversation_id": "c7",
                "conversation_history": _history_with(conversation, 1, model_name="gpt-5"),
            }
        ),
        'unknown value for `conversation_history[1].model_name`: "gpt-5" (the codebook allows '
        "21 values)",
    )
    add(
        "conversations",
        json.dumps(
            conversation
            | {
                "conversation_id": "c11",
                "conversation_history": _history_with(conversation, 2, content=5),
            }
        ),
        "wrong type for `conversation_history[2].content` (expected VARCHAR, got 5)",
    )
    history = [dict(e) for e in conversation["conversation_history"]]
    del history[4]["content"]
    add(
        "conversations",
        json.dumps(conversation | {"conversation_id": "c12", "conversation_history": history}),
        "missing required key `conversation_history[4].content`",
    )
    # The role is typed from its raw token (fastpath.py), not over a wildcard path like the content.
    add(
        "conversations",
        json.dumps(
            conversation
            | {
                "conversation_id": "c13",
                "conversation_history": _history_with(conversation, 2, role=5),
            }
        ),
        "wrong type for `conversation_history[2].role` (expected VARCHAR, got 5)",
    )
    add(
        "conversations",
        json.dumps(
            conversation
            | {
                "conversation_id": "c14",
                "conversation_history": _history_with(conversation, 3, role=None),
            }
        ),
        "null value for `conversation_history[3].role`",
    )
    history = [dict(e) for e in conversation["conversation_history"]]
    del history[1]["role"]
    add(
        "conversations",
        json.dumps(conversation | {"conversation_id": "c15", "conversation_history": history}),
        "missing required key `conversation_history[1].role`",
    )
    add(
        "conversations",
        json.dumps(conversation | {"conversation_id": "c8", "conversation_turns": 500}),
        "out of range: conversation_turns 500 not in 2..50",
    )
    add(
        "conversations",
        json.dumps(conversation | {"conversation_id": "c9", "timing_duration_mins": -1.5}),
        "out of range: timing_duration_mins -1.5 not in 0..44640",
    )
    # A comma before a bracket inside a string is text, not damage: this line loads.
    lines["conversations"].append(
        json.dumps(conversation | {"conversation_id": "c10", "open_feedback": "odd, ] text ,}"})
    )

    # c0's model entries are utterances ut0..ut3; c1's are ut4..ut7.
    utterances = rows["utterances"]
    lines["utterances"][1] = json.dumps(utterances[1] | {"score": 55})
    expected[("utterances.jsonl", 2)] = (
        "inconsistent with conversations.jsonl: score `55` but the history entry of "
        "conversation `c0` turn 0 within_turn_id 1 has `90`"
    )
    lines["utterances"][4] = json.dumps(utterances[4] | {"model_name": "gpt-4"})
    expected[("utterances.jsonl", 5)] = (
        "inconsistent with conversations.jsonl: model_name `gpt-4` but the history entry of "
        "conversation `c1` turn 0 within_turn_id 0 has `command`"
    )
    lines["utterances"][6] = json.dumps(utterances[6] | {"within_turn_id": 3})
    expected[("utterances.jsonl", 7)] = (
        "inconsistent with conversations.jsonl: no model entry for conversation `c1` turn 1 "
        "within_turn_id 3"
    )
    lines["utterances"][7] = json.dumps(utterances[7] | {"conversation_type": "values guided"})
    expected[("utterances.jsonl", 8)] = (
        "inconsistent with conversations.jsonl: conversation_type `values guided` but "
        "conversation `c1` has `unguided`"
    )
    add(
        "utterances",
        json.dumps(utterances[0] | {"utterance_id": "ut90", "model_provider": "OpenAI"}),
        'unknown value for `model_provider`: "OpenAI" (the codebook allows cohere | anthropic '
        "| google | huggingface_api | openai | aleph)",
    )

    add(
        "metadata",
        json.dumps(rows["metadata"][0] | {"user_id": "user1", "column_id": "prompt"}),
        'unknown value for `column_id`: "prompt" (the codebook allows model_response | '
        "user_prompt | open_feedback | self_description | system_string)",
    )
    add(
        "metadata",
        json.dumps(rows["metadata"][0] | {"user_id": "user2", "language_flag": "english"}),
        'bad format for `language_flag`: "english" (expected a two-letter ISO 639-1 code)',
    )
    # Cascade: the metadata rows of the rejected utterances go as orphans; ut6 and ut7 were the
    # whole of interaction int3, which is checked first.
    for number, line in enumerate(lines["metadata"], start=1):
        row = json.loads(line)
        if row["utterance_id"] in ("ut1", "ut4"):
            expected[("metadata.jsonl", number)] = (
                f"orphan: utterance `{row['utterance_id']}` not in utterances"
            )
        elif row["utterance_id"] in ("ut6", "ut7"):
            expected[("metadata.jsonl", number)] = "orphan: interaction `int3` not in utterances"
    return lines, expected


def test_each_out_of_domain_line_is_rejected_with_its_reason(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines, expected = _damaged()
    directory = tmp_path / "damaged"
    directory.mkdir()
    for kind, kind_lines in lines.items():
        (directory / f"{kind}.jsonl").write_text("".join(line + "\n" for line in kind_lines))

    reports = load_prism_directory(con, directory, "prism", "r")

    rejects = con.execute(
        "SELECT file, line_number, reason FROM raw.prism_rejects ORDER BY file, line_number"
    ).fetchall()
    assert {(file, line): reason for file, line, reason in rejects} == expected
    for report in reports.values():
        assert report.lines_read == report.rows_loaded + report.rows_rejected
        assert report.rows_rejected == sum(1 for file, _ in expected if file == report.file)
    assert con.execute(
        "SELECT open_feedback FROM raw.prism_conversations WHERE conversation_id = 'c10'"
    ).fetchone() == ("odd, ] text ,}",)
    assert reports["utterances"].reject_reasons == {"inconsistent": 4, "unknown value": 1}


def test_nan_and_null_load_as_null_in_every_type(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = tiny_rows()
    survey = survey_row(1)
    # A bare NaN where a nullable string, integer and boolean may be missing.
    survey["lm_frequency_use"] = float("nan")
    survey["lm_usecases"]["games"] = float("nan")
    survey["lm_usecases"]["other_text"] = float("nan")
    rows["survey"][1] = survey
    directory = tmp_path / "nan"
    directory.mkdir()
    for kind, kind_rows in rows.items():
        text = "".join(json.dumps(r) + "\n" for r in kind_rows)
        (directory / f"{kind}.jsonl").write_text(text)
    reports = load_prism_directory(con, directory, "prism", "r")
    assert all(r.rows_rejected == 0 for r in reports.values())
    assert con.execute(
        "SELECT lm_frequency_use, lm_usecases.games, lm_usecases.other_text, "
        "stated_prefs.other_text FROM raw.prism_survey WHERE user_id = 'user1'"
    ).fetchone() == (None, None, None, "kindness")
    assert con.execute(
        "SELECT count(*) FILTER (pii_manual_flag IS NULL), count(*) FILTER (NOT pii_manual_flag) "
        "FROM raw.prism_metadata"
    ).fetchone() == (len(rows["metadata"]) - 1, 1)


def test_lines_the_fast_test_cannot_clear_still_load_typed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # An integer written as 1.0 and a bare NaN for a nullable string both fail the acceptance
    # test (fastpath.py); the detailed checks must clear them and type them.
    survey = survey_row(0) | {"num_completed_conversations": 1.0, "lm_frequency_use": float("nan")}
    path = tmp_path / "survey.jsonl"
    path.write_text(json.dumps(survey) + "\n" + json.dumps(survey_row(1)) + "\n")
    report = load_prism_file(con, "survey", path, "prism", "r")
    assert (report.rows_loaded, report.rows_rejected) == (2, 0)
    assert con.execute(
        "SELECT user_id, num_completed_conversations, lm_frequency_use, location.birth_country "
        "FROM raw.prism_survey ORDER BY _line_number"
    ).fetchall() == [("user0", 1, None, "T\u00fcrkiye"), ("user1", 1, None, "T\u00fcrkiye")]
