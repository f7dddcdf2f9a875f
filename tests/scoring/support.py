"""Helpers for the scoring suite: a stand-in staging table and a fake Perspective on loopback."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from scoring.pacing import RetryPolicy
from scoring.runner import ScoringConfig
from tests.scoring.fake_perspective import FakeConfig, FakePerspectiveServer

API_KEY = "sk-test-7f3a9c2e1b"
# Tests run at a high quota so they stay fast; the limiter logic is rate-independent.
TEST_QPS = 20.0
FAST_RETRY = RetryPolicy(max_attempts=6, initial_wait=0.05, max_wait=0.5, jitter=0.05)


@dataclass(frozen=True)
class StagingText:
    text: str
    language_flag: str | None = "en"

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def english_texts(n: int, prefix: str = "text") -> list[StagingText]:
    return [StagingText(f"{prefix} {i}: a reasonable point, kindly made.") for i in range(n)]


def create_staging(
    conn: duckdb.DuckDBPyConnection, texts: Sequence[StagingText], dataset_source: str = "prism"
) -> None:
    """A table shaped like the dbt model ``staging.stg_prism__texts``."""
    conn.execute("create schema if not exists staging")
    conn.execute(
        """
        create or replace table staging.stg_prism__texts (
            text_hash varchar, text varchar, is_opening_prompt boolean, is_later_prompt boolean,
            is_response boolean, n_occurrences integer, language_flag varchar,
            is_english boolean, is_empty boolean, n_bytes integer, dataset_source varchar
        )
        """
    )
    conn.executemany(
        "insert into staging.stg_prism__texts values (?, ?, false, false, true, 1, ?, ?, ?, ?, ?)",
        [
            [
                t.text_hash,
                t.text,
                t.language_flag,
                t.language_flag == "en",
                t.text.strip() in ("", "EMPTY STRING"),
                len(t.text.encode("utf-8")),
                dataset_source,
            ]
            for t in texts
        ],
    )


def make_warehouse(path: Path, texts: Sequence[StagingText], dataset_source: str = "prism") -> Path:
    with duckdb.connect(str(path)) as conn:
        create_staging(conn, texts, dataset_source)
    return path


def scoring_config(server: FakePerspectiveServer, **overrides: object) -> ScoringConfig:
    values: dict[str, object] = {
        "base_url": server.url,
        "qps": TEST_QPS,
        "retry": FAST_RETRY,
        "timeout": 5.0,
        "progress_interval": 0.5,
    }
    values.update(overrides)
    return ScoringConfig(**values)  # type: ignore[arg-type]


@contextmanager
def fake_server(**config: object) -> Iterator[FakePerspectiveServer]:
    values: dict[str, object] = {"api_keys": frozenset({API_KEY}), "quota_per_minute": 6000}
    values.update(config)
    with FakePerspectiveServer(FakeConfig(**values)) as server:  # type: ignore[arg-type]
        yield server
