"""``python -m scoring.cli`` takes its environment from orchestration.settings, like Dagster."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from scoring.cli import main
from tests.scoring.support import english_texts, make_warehouse


@pytest.fixture(autouse=True)
def _restore_httpx_logging() -> Iterator[None]:
    # main() quiets httpx for the whole process; other tests read httpx's request lines.
    logger = logging.getLogger("httpx")
    level = logger.level
    yield
    logger.setLevel(level)


def test_without_a_key_nothing_is_scored_and_the_warehouse_comes_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_warehouse(tmp_path / "from_env.duckdb", english_texts(2))
    monkeypatch.setenv("PRISM_WAREHOUSE_DB", str(db))
    monkeypatch.setenv("PERSPECTIVE_API_KEY", " ")
    monkeypatch.chdir(tmp_path)

    assert main(["score"]) == 2

    assert "PERSPECTIVE_API_KEY is not set" in capsys.readouterr().err
    # The store opened the configured file (and created its tables there), no other one.
    with duckdb.connect(str(db), read_only=True) as conn:
        tables = {r[0] for r in conn.execute("select table_name from duckdb_tables()").fetchall()}
    assert "text_scores" in tables
    assert not (tmp_path / "data").exists()


def test_a_bad_rate_in_the_environment_names_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(1))
    monkeypatch.setenv("PERSPECTIVE_QPS", "lots")
    with pytest.raises(ValueError, match="PERSPECTIVE_QPS='lots'"):
        main(["--db", str(db), "score"])
    # A flag wins over the environment, so the bad value is never read.
    monkeypatch.setenv("PERSPECTIVE_API_KEY", "")
    assert main(["--db", str(db), "score", "--qps", "2"]) == 2
