"""Loads are atomic (a failure keeps the previous tables) and idempotent (re-runs are no-ops)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

import orchestration.prism.load as load_module
from orchestration import warehouse
from orchestration.prism.load import load_prism_directory, load_prism_file
from tests.prism.tiny import conversation_row, survey_row

TABLES = (
    "raw.prism_survey",
    "raw.prism_conversations",
    "raw.prism_utterances",
    "raw.prism_metadata",
    "raw.prism_rejects",
    "raw.prism_load_log",
)


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def _append_survey_line(directory: Path, line: str) -> None:
    with (directory / "survey.jsonl").open("a") as handle:
        handle.write(line + "\n")


def test_values_are_typed_as_published(con: duckdb.DuckDBPyConnection, tiny_dir: Path) -> None:
    load_prism_directory(con, tiny_dir, "prism", "r1")
    flags = con.execute(
        "SELECT user_id, pii_manual_flag FROM raw.prism_metadata "
        "WHERE column_id = 'self_description' ORDER BY user_id"
    ).fetchall()
    # false stays false; bare NaN and null both become NULL.
    assert flags == [("user0", False), ("user1", None), ("user2", None)]
    history = con.execute(
        "SELECT conversation_history[2].content, conversation_history[5].content, "
        "conversation_history[1].score, performance_attributes.values, "
        "performance_attributes.fluency FROM raw.prism_conversations WHERE conversation_id = 'c0'"
    ).fetchone()
    assert history == ("EMPTY STRING", 'More: NaN, null, "quoted"', None, None, 80)
    survey = con.execute(
        'SELECT timing_duration_s, location.birth_country, lm_usecases."well-being_guidance", '
        "_line_number, _dataset_source, _dataset_revision FROM raw.prism_survey "
        "WHERE user_id = 'user1'"
    ).fetchone()
    assert survey == (266.0, "T\u00fcrkiye", None, 2, "prism", "r1")
    (column_type,) = con.execute(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'prism_conversations' AND column_name = 'conversation_history'"
    ).fetchone()
    assert column_type == (
        'STRUCT(turn INTEGER, "role" VARCHAR, "content" VARCHAR, model_provider VARCHAR, '
        "model_name VARCHAR, score INTEGER, if_chosen BOOLEAN, within_turn_id INTEGER)[]"
    )


def test_rerun_changes_nothing(con: duckdb.DuckDBPyConnection, tiny_dir: Path) -> None:
    first = load_prism_directory(con, tiny_dir, "prism", "r1")
    before = _snapshot(con)
    second = load_prism_directory(con, tiny_dir, "prism", "r1")
    assert all(r.skipped for r in second.values())
    assert _snapshot(con) == before
    assert {k: r.rows_loaded for k, r in second.items()} == {
        k: r.rows_loaded for k, r in first.items()
    }
    assert second["metadata"].preview == first["metadata"].preview


def test_changed_parent_reloads_its_children(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path
) -> None:
    load_prism_directory(con, tiny_dir, "prism", "r1")
    _append_survey_line(tiny_dir, json.dumps(survey_row(3, survey_only=True)))
    reports = load_prism_directory(con, tiny_dir, "prism", "r1")
    assert {k: r.skipped for k, r in reports.items()} == {
        "survey": False,
        "conversations": False,
        "utterances": False,
        "metadata": False,
    }
    assert reports["survey"].rows_loaded == 4
    (log_rows,) = con.execute("SELECT count(*) FROM raw.prism_load_log").fetchone()
    assert log_rows == 8


def test_single_child_reloads_after_its_parent(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path
) -> None:
    load_prism_directory(con, tiny_dir, "prism", "r1")
    _append_survey_line(tiny_dir, json.dumps(survey_row(3, survey_only=True)))
    assert not load_prism_file(con, "survey", tiny_dir / "survey.jsonl", "prism", "r1").skipped
    path = tiny_dir / "conversations.jsonl"
    assert not load_prism_file(con, "conversations", path, "prism", "r1").skipped
    assert load_prism_file(con, "conversations", path, "prism", "r1").skipped


def test_new_revision_with_same_bytes_reloads(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path
) -> None:
    load_prism_file(con, "survey", tiny_dir / "survey.jsonl", "prism", "r1")
    report = load_prism_file(con, "survey", tiny_dir / "survey.jsonl", "prism", "r2")
    assert not report.skipped
    revisions = con.execute("SELECT DISTINCT _dataset_revision FROM raw.prism_survey").fetchall()
    assert revisions == [("r2",)]


def test_failed_file_load_keeps_previous_tables(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_prism_directory(con, tiny_dir, "prism", "r1")
    before = _snapshot(con)
    _append_survey_line(tiny_dir, "not json")

    def fail(*args: object) -> tuple[str, ...]:
        raise RuntimeError("disk full")

    # Fails after the new table, rejects and log row were written inside the transaction.
    monkeypatch.setattr(load_module, "_unexpected_key_notes", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        load_prism_file(con, "survey", tiny_dir / "survey.jsonl", "prism", "r1")
    assert _snapshot(con) == before


def test_failed_directory_load_keeps_every_previous_table(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_prism_directory(con, tiny_dir, "prism", "r1")
    before = _snapshot(con)
    real_swap = load_module._swap

    def swap_then_fail_on_metadata(con_, spec, slow, source, revision):
        counts = real_swap(con_, spec, slow, source, revision)
        if spec.kind == "metadata":
            raise RuntimeError("killed mid-way")
        return counts

    monkeypatch.setattr(load_module, "_swap", swap_then_fail_on_metadata)
    with pytest.raises(RuntimeError, match="killed mid-way"):
        load_prism_directory(con, tiny_dir, "prism", "r2")
    assert _snapshot(con) == before
    monkeypatch.undo()
    reports = load_prism_directory(con, tiny_dir, "prism", "r2")
    assert not any(r.skipped for r in reports.values())


def _compressions(con: duckdb.DuckDBPyConnection, table: str, column: str) -> set[str]:
    rows = con.execute(
        f"SELECT DISTINCT compression FROM pragma_storage_info('{table}') "
        "WHERE column_name = ? AND segment_type = 'VARCHAR'",
        [column],
    ).fetchall()
    return {compression for (compression,) in rows}


@pytest.mark.parametrize("callers_choice", ["auto", "uncompressed"])
def test_the_load_writes_zstd_and_restores_the_setting(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path, callers_choice: str
) -> None:
    # A tiny load's WAL is small; a low threshold makes its commit checkpoint like a full one.
    con.execute("SET checkpoint_threshold = '1KB'")
    con.execute(f"SET force_compression = '{callers_choice}'")
    load_prism_directory(con, tiny_dir, "prism", "r1")
    assert _compressions(con, "raw.prism_utterances", "model_response") == {"ZSTD"}
    assert _compressions(con, "raw.prism_conversations", "conversation_history") == {"ZSTD"}
    (setting,) = con.execute("SELECT current_setting('force_compression')").fetchone()
    assert setting == callers_choice


def test_a_refused_load_leaves_the_compression_setting(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path
) -> None:
    (tiny_dir / "utterances.jsonl").write_text("")
    with pytest.raises(Exception, match="utterances.jsonl"):
        load_prism_directory(con, tiny_dir, "prism", "r1")
    (setting,) = con.execute("SELECT current_setting('force_compression')").fetchone()
    assert setting == "auto"


def test_the_tables_are_written_in_the_connections_row_groups_with_zstd(tmp_path: Path) -> None:
    path = tmp_path / "survey.jsonl"
    path.write_text("".join(json.dumps(survey_row(k)) + "\n" for k in range(5000)))
    with warehouse.connect(tmp_path / "warehouse.duckdb", row_group_size=2048) as con:
        load_prism_file(con, "survey", path, "prism", "r1")
        written = con.execute(
            "SELECT count(DISTINCT row_group_id), list(DISTINCT compression) "
            "FROM pragma_storage_info('raw.prism_survey') "
            "WHERE column_name = 'user_id' AND segment_type = 'VARCHAR' AND persistent"
        ).fetchone()
    assert written == (3, ["ZSTD"])


@pytest.mark.parametrize("row_group_size", [None, 2048])
@pytest.mark.parametrize("slow_line", [None, 2, 2999])
def test_rows_are_stored_in_line_order(
    tmp_path: Path, slow_line: int | None, row_group_size: int | None
) -> None:
    # An integer written 1.0 is valid but takes the detailed checks, whose rows come after the
    # others in the checked lines; the stored table must still be in line order, also when the
    # copy writes full row groups from several threads as it goes.
    rows = [survey_row(k) for k in range(3000)]
    if slow_line is not None:
        rows[slow_line - 1]["num_completed_conversations"] = 1.0
    path = tmp_path / "survey.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with warehouse.connect(tmp_path / "warehouse.duckdb", row_group_size=row_group_size) as con:
        con.execute("SET threads = 4")
        report = load_prism_file(con, "survey", path, "prism", "r1")
        assert (report.rows_loaded, report.rows_rejected) == (3000, 0)
        stored = [n for (n,) in con.execute("SELECT _line_number FROM raw.prism_survey").fetchall()]
        assert stored == list(range(1, 3001))
    if slow_line is not None:
        with warehouse.connect(tmp_path / "warehouse.duckdb", read_only=True) as con:
            (value,) = con.execute(
                "SELECT num_completed_conversations FROM raw.prism_survey WHERE _line_number = ?",
                [slow_line],
            ).fetchone()
        assert value == 1


@pytest.mark.parametrize("keeps_order", [True, False])
def test_a_table_with_nested_columns_stays_in_line_order_when_a_line_is_fixed(
    tmp_path: Path, keeps_order: bool
) -> None:
    # DuckDB moves an updated row of a table with a list column to the end; a conversation whose
    # turn count is written 3.0 is valid but takes the detailed checks, so its row is updated.
    rows = [conversation_row(c, user=0) for c in range(50)]
    rows[1]["conversation_turns"] = float(rows[1]["conversation_turns"])
    rows[30] = {"broken": True}
    path = tmp_path / "conversations.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with warehouse.connect(tmp_path / "warehouse.duckdb", row_group_size=2048) as con:
        con.execute(f"SET preserve_insertion_order = {str(keeps_order).lower()}")
        report = load_prism_file(con, "conversations", path, "prism", "r1")
        assert (report.rows_loaded, report.rows_rejected) == (49, 1)
        stored = con.execute(
            "SELECT _line_number, conversation_turns FROM raw.prism_conversations"
        ).fetchall()
        columns = [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'prism_conversations'"
            ).fetchall()
        ]
    assert [n for n, _ in stored] == [n for n in range(1, 51) if n != 31]
    assert stored[1] == (2, rows[1]["conversation_turns"])
    assert not [c for c in columns if c.startswith("_prism_")]
