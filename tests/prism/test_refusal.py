"""Whole-file refusal: a file that yields nothing fails the load and the previous tables survive."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.ingest import INGEST_ASSETS
from orchestration.prism.load import load_prism_directory, load_prism_file
from orchestration.prism.refusal import RefusedFile
from orchestration.resources import PrismSourceResource, WarehouseResource
from tests.prism.test_load_transactions import _snapshot
from tests.prism.tiny import tiny_rows


def _survey_lines(*, ensure_ascii: bool = True) -> list[str]:
    return [json.dumps(row, ensure_ascii=ensure_ascii) for row in tiny_rows()["survey"]]


# name -> (bytes of survey.jsonl, a fragment of the refusal's cause)
DAMAGED_SURVEYS: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "the file is empty (0 bytes)"),
    "bom only": (b"\xef\xbb\xbf", "the file is empty (0 bytes)"),
    "blank lines": (b"\n  \n\r\n\t\n", "only blank lines"),
    "utf-16 with bom": (
        "\n".join(_survey_lines()).encode("utf-16"),
        "encoded as UTF-16 (little-endian), not UTF-8",
    ),
    "utf-16 without bom": ("\n".join(_survey_lines()).encode("utf-16-le"), "NUL bytes"),
    # Every line holds the non-ASCII "Türkiye" unescaped, which Latin-1 writes as the byte 0xFC.
    "latin-1": (
        "\n".join(_survey_lines(ensure_ascii=False)).encode("latin-1"),
        "no line decodes as UTF-8 (the first bad byte is byte",
    ),
    "one json array": (
        json.dumps(tiny_rows()["survey"]).encode(),
        "one JSON array, not JSON lines",
    ),
    "pretty-printed array": (
        json.dumps(tiny_rows()["survey"], indent=2).encode(),
        "one JSON array, not JSON lines",
    ),
    # Pretty-printed objects: every line is a fragment, so nothing loads.
    "pretty-printed objects": (
        "\n".join(json.dumps(r, indent=2) for r in tiny_rows()["survey"]).encode(),
        "no line loaded; most common reasons: malformed JSON",
    ),
}


@pytest.mark.parametrize("name", list(DAMAGED_SURVEYS))
def test_damaged_survey_is_refused_and_every_previous_table_survives(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path, tmp_path: Path, name: str
) -> None:
    load_prism_directory(con, tiny_dir, "prism", "r1")
    before = _snapshot(con)
    damaged = tmp_path / "damaged"
    shutil.copytree(tiny_dir, damaged)
    content, cause = DAMAGED_SURVEYS[name]
    (damaged / "survey.jsonl").write_bytes(content)

    with pytest.raises(RefusedFile) as refused:
        load_prism_directory(con, damaged, "prism", "r2")
    assert refused.value.path == damaged / "survey.jsonl"
    assert cause in refused.value.cause
    assert str(damaged / "survey.jsonl") in str(refused.value)
    assert _snapshot(con) == before


def test_refusal_of_a_file_read_ahead_leaves_every_previous_table(
    con: duckdb.DuckDBPyConnection, tiny_dir: Path, tmp_path: Path
) -> None:
    # metadata.jsonl, the last file, is read on a thread while the three before it load; its
    # refusal must still roll those three back.
    load_prism_directory(con, tiny_dir, "prism", "r1")
    before = _snapshot(con)
    damaged = tmp_path / "damaged"
    shutil.copytree(tiny_dir, damaged)
    (damaged / "metadata.jsonl").write_bytes(b"")

    with pytest.raises(RefusedFile) as refused:
        load_prism_directory(con, damaged, "prism", "r2", force=True)
    assert refused.value.path == damaged / "metadata.jsonl"
    assert refused.value.cause == "the file is empty (0 bytes)"
    assert _snapshot(con) == before


def test_gzip_is_read_through_to_the_refusal(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "survey.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n\n"))
    with pytest.raises(RefusedFile, match="only blank lines"):
        load_prism_file(con, "survey", path, "prism", "r")


def test_utf8_bom_is_not_damage(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "survey.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(_survey_lines()).encode())
    report = load_prism_file(con, "survey", path, "prism", "r")
    assert (report.lines_read, report.rows_loaded, report.rows_rejected) == (3, 3, 0)


def _mostly_bad_survey(path: Path, good: int, bad: int) -> None:
    lines = _survey_lines()[:good] + ["not json"] * bad
    path.write_text("\n".join(lines) + "\n")


def test_threshold_refuses_a_mostly_rejected_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "survey.jsonl"
    _mostly_bad_survey(path, good=2, bad=8)
    with pytest.raises(RefusedFile) as refused:
        load_prism_file(con, "survey", path, "prism", "r", reject_threshold=0.5)
    assert "8 of 10 lines rejected (80.0%): more than 50% of the lines rejected" in str(
        refused.value
    )
    assert "malformed JSON, e.g. line 3: malformed JSON: Expecting value at column 1 (8)" in str(
        refused.value
    )
    # Nothing was written: not the table, not the rejects, not the load log.
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' ORDER BY 1"
    ).fetchall()
    assert tables == [("prism_load_log",), ("prism_rejects",)]
    assert con.execute("SELECT count(*) FROM raw.prism_rejects").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM raw.prism_load_log").fetchone() == (0,)


def test_below_the_threshold_bad_lines_are_rejected_one_by_one(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "survey.jsonl"
    _mostly_bad_survey(path, good=2, bad=8)
    report = load_prism_file(con, "survey", path, "prism", "r")
    assert (report.rows_loaded, report.rows_rejected) == (2, 8)


def test_threshold_must_be_a_share(con: duckdb.DuckDBPyConnection, tiny_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"reject threshold must be in \(0, 1\], got 0"):
        load_prism_file(con, "survey", tiny_dir / "survey.jsonl", "p", "r", reject_threshold=0)


def test_threshold_setting_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.settings import prism_reject_threshold

    monkeypatch.delenv("PRISM_REJECT_THRESHOLD", raising=False)
    assert prism_reject_threshold() == 0.9
    monkeypatch.setenv("PRISM_REJECT_THRESHOLD", "0.25")
    assert prism_reject_threshold() == 0.25
    monkeypatch.setenv("PRISM_REJECT_THRESHOLD", "2")
    with pytest.raises(ValueError, match="PRISM_REJECT_THRESHOLD='2'"):
        prism_reject_threshold()


def test_refusal_fails_the_asset_naming_file_and_cause(tmp_path: Path, tiny_dir: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    source = tmp_path / "source"
    shutil.copytree(tiny_dir, source)
    resources = {
        "warehouse": WarehouseResource(path=str(warehouse)),
        "prism_source": PrismSourceResource(source=str(source)),
    }
    survey_asset = INGEST_ASSETS[0]
    first = dg.materialize([survey_asset], resources=resources)
    assert first.success

    (source / "survey.jsonl").write_bytes(b"")
    result = dg.materialize([survey_asset], resources=resources, raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1
    error = failures[0].step_failure_data.error
    message = error.message if error.cause is None else error.message + error.cause.message
    assert "survey.jsonl: refused, nothing loaded from it: the file is empty (0 bytes)" in message
    assert "raw.prism_survey and raw.prism_rejects keep their previous contents" in message
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.prism_survey").fetchone() == (3,)
