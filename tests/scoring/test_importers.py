"""Importing score files: shapes, formats, validation, rejects and idempotence."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from orchestration.synthetic.attributes import PERSPECTIVE
from scoring.attributes import PAPER_ATTRIBUTES
from scoring.importers import ScoreImportError, import_scores
from scoring.store import ScoreStore

SYNTHETIC_COLUMNS = ["text_hash", *PERSPECTIVE]


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def synthetic_style_file(path: Path) -> Path:
    """The synthetic generator's layout: English rows full, non-English rows TOXICITY only."""
    rows = [
        [h(f"english {i}"), *[round(0.1 * (i % 9) + 0.01 * j, 4) for j in range(8)]]
        for i in range(5)
    ]
    rows.append([h("hola"), 0.2, "", "", "", "", "", "", ""])
    return write_csv(path, SYNTHETIC_COLUMNS, rows)


def table(store: ScoreStore, scorer: str) -> list[tuple]:
    return store.conn.execute(
        "select text_hash, attribute, value, scorer_version, scored_at, policy "
        "from raw.text_scores where scorer = ? order by 1, 2",
        [scorer],
    ).fetchall()


def test_synthetic_file_imports_as_imported_synthetic(tmp_path: Path) -> None:
    path = synthetic_style_file(tmp_path / "perspective_scores.csv")
    with ScoreStore.open(tmp_path / "w.duckdb") as store:
        report = import_scores(store, path, "synthetic")
        rows = table(store, "imported:synthetic")
        rejects = store.conn.execute("select count(*) from raw.score_import_rejects").fetchone()
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (6, 6, 0)
    assert report.shape == "wide"
    assert report.blank_cells == 7
    assert len(rows) == 5 * 8 + 1
    assert {r[1] for r in rows} == set(PAPER_ATTRIBUTES)
    assert [r[2] for r in rows if r[0] == h("hola")] == [0.2]
    assert all(r[3] == report.scorer_version and r[3].startswith("sha256:") for r in rows)
    assert rejects == (0,)


def test_reimport_is_idempotent_and_changes_only_what_changed(tmp_path: Path) -> None:
    path = synthetic_style_file(tmp_path / "scores.csv")
    with ScoreStore.open(tmp_path / "w.duckdb") as store:
        first = import_scores(store, path, "synthetic")
        before = table(store, "imported:synthetic")
        again = import_scores(store, path, "synthetic")
        assert table(store, "imported:synthetic") == before
        assert (first.scores_changed, again.scores_changed) == (41, 0)
        lines = path.read_text().splitlines()
        lines[1] = lines[1].replace(lines[1].split(",")[1], "0.999", 1)
        path.write_text("\n".join(lines) + "\n")
        third = import_scores(store, path, "synthetic")
        after = table(store, "imported:synthetic")
    # The file's version changed, so every row now names it; one value changed.
    assert third.scores_changed == 41
    assert sum(1 for a, b in zip(before, after, strict=True) if a[2] != b[2]) == 1


def test_validation_rejects_with_row_numbers(tmp_path: Path) -> None:
    good = h("good")
    rows = [
        [good, "0.5", "0.25"],
        ["not-a-hash", "0.5", "0.5"],
        [h("range"), "1.5", "0.5"],
        [h("nan"), "abc", ""],
        [good, "0.5", ""],
        [h("blank"), "", ""],
        [h("UPPER").upper(), "0.1", "0.2"],
    ]
    path = write_csv(
        tmp_path / "scores2.csv",
        ["text_hash", "TOXICITY", "INSULT", "MADE_UP"],
        [r + ["0.3"] for r in rows],
    )
    with ScoreStore.open(tmp_path / "w.duckdb") as store:
        report = import_scores(store, path, "vendor")
        rejects = store.conn.execute(
            "select row_number, reason, scorer from raw.score_import_rejects order by row_number"
        ).fetchall()
        stored = store.conn.execute(
            "select text_hash, attribute, value from raw.text_scores order by 1, 2"
        ).fetchall()
    assert report.rows_read == 7
    assert report.rows_loaded + report.rows_rejected == report.rows_read
    assert report.columns_rejected == 1
    reasons = {n: reason for n, reason, _ in rejects}
    assert reasons[0] == "unknown attribute column 'MADE_UP'; column ignored"
    assert reasons[2] == "text_hash 'not-a-hash' is not 64 hex characters"
    assert reasons[3] == "TOXICITY: 1.5 is outside [0, 1]"
    assert reasons[4] == "TOXICITY: 'abc' is not a number"
    assert reasons[5] == f"duplicate TOXICITY score for {good} (first in row 1)"
    assert set(reasons) == {0, 2, 3, 4, 5}
    assert all(scorer == "imported:vendor" for *_, scorer in rejects)
    assert (good, "INSULT", 0.25) in stored and (good, "TOXICITY", 0.5) in stored
    assert (h("UPPER"), "TOXICITY", 0.1) in stored
    assert not any(r[0] == h("blank") for r in stored)


def test_long_jsonl_keyed_by_text(tmp_path: Path) -> None:
    lines = [
        {"text": "hello", "attribute": "TOXICITY", "value": 0.1},
        {"text": "hello", "attribute": "REASONING_EXPERIMENTAL", "value": 0.7},
        {"text": "hello", "attribute": "NOT_AN_ATTRIBUTE", "value": 0.7},
        {"text": "bye", "text_hash": h("other"), "attribute": "TOXICITY", "value": 0.1},
        {"text": "blank", "attribute": "TOXICITY", "value": None},
    ]
    path = tmp_path / "scores.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken\n")
    with ScoreStore.open(tmp_path / "w.duckdb") as store:
        report = import_scores(store, path, "long")
        stored = store.conn.execute(
            "select text_hash, attribute, value from raw.text_scores order by 2"
        ).fetchall()
        rejects = dict(
            store.conn.execute("select row_number, reason from raw.score_import_rejects").fetchall()
        )
    assert report.shape == "long"
    assert stored == [(h("hello"), "REASONING_EXPERIMENTAL", 0.7), (h("hello"), "TOXICITY", 0.1)]
    assert rejects[3] == "unknown attribute 'NOT_AN_ATTRIBUTE'"
    assert rejects[4].startswith(f"text_hash {h('other')} does not match sha256 of text")
    assert rejects[6].startswith("invalid JSON")
    assert (report.rows_read, report.rows_rejected) == (6, 3)


def test_parquet_wide_with_nan_blanks(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "text_hash": [h("a"), h("b")],
            "TOXICITY": [0.3, float("nan")],
            "RESPECT_EXPERIMENTAL": [0.9, 0.4],
        }
    )
    path = tmp_path / "scores.parquet"
    frame.to_parquet(path)
    with ScoreStore.open(tmp_path / "w.duckdb") as store:
        report = import_scores(store, path, "pq")
        count = store.conn.execute("select count(*) from raw.text_scores").fetchone()
    assert count == (3,)
    assert report.blank_cells == 1 and report.rows_rejected == 0


def test_file_level_errors(tmp_path: Path) -> None:
    with ScoreStore.open(tmp_path / "w.duckdb") as store:
        no_key = write_csv(tmp_path / "k.csv", ["id", "TOXICITY"], [["1", "0.1"]])
        with pytest.raises(ScoreImportError, match="needs a 'text_hash' or 'text' column"):
            import_scores(store, no_key, "x")
        with pytest.raises(ScoreImportError, match="unsupported file type"):
            import_scores(store, tmp_path / "scores.xlsx", "x")
        with pytest.raises(ScoreImportError, match="must match"):
            import_scores(store, no_key, "Bad Name")


def test_generated_synthetic_scores_import(small_prism_dir: Path, tmp_path: Path) -> None:
    path = small_prism_dir / "perspective_scores.csv"
    with ScoreStore.open(tmp_path / "w.duckdb") as store:
        report = import_scores(store, path, "synthetic")
    assert report.rows_rejected == 0 and report.columns_rejected == 0
    assert report.rows_loaded == report.rows_read > 0
    assert report.scores_in_file > report.rows_read
