"""The DuckDB tables that hold scores, failures and import rejects (schema ``raw``).

Every write is one short transaction over a small batch, so a killed process loses at most the
batch being written and a re-run finds everything committed before it. DuckDB admits one
writing process per file; callers keep one :class:`ScoreStore` open for a whole run and write
from one task at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

SCORES_TABLE = "raw.text_scores"
FAILURES_TABLE = "raw.text_score_failures"
REJECTS_TABLE = "raw.score_import_rejects"

_DDL = (
    "create schema if not exists raw",
    f"""
    create table if not exists {SCORES_TABLE} (
        text_hash varchar not null,
        attribute varchar not null,
        value double not null check (value >= 0 and value <= 1),
        scorer varchar not null,
        scorer_version varchar,
        languages varchar[],
        scored_at timestamp not null,
        policy varchar not null,
        primary key (text_hash, attribute, scorer)
    )
    """,
    f"""
    create table if not exists {FAILURES_TABLE} (
        text_hash varchar not null,
        scorer varchar not null,
        outcome varchar not null check (outcome in ('error', 'skipped')),
        error_type varchar not null,
        http_status integer,
        message varchar,
        attempts integer not null,
        recorded_at timestamp not null,
        primary key (text_hash, scorer)
    )
    """,
    f"""
    create table if not exists {REJECTS_TABLE} (
        file varchar not null,
        row_number bigint not null,
        reason varchar not null,
        raw_row varchar,
        scorer varchar not null
    )
    """,
)

SCORE_SCHEMA = pa.schema(
    [
        ("text_hash", pa.string()),
        ("attribute", pa.string()),
        ("value", pa.float64()),
        ("scorer", pa.string()),
        ("scorer_version", pa.string()),
        ("languages", pa.list_(pa.string())),
        ("scored_at", pa.timestamp("us")),
        ("policy", pa.string()),
    ]
)
_FAILURE_SCHEMA = pa.schema(
    [
        ("text_hash", pa.string()),
        ("scorer", pa.string()),
        ("outcome", pa.string()),
        ("error_type", pa.string()),
        ("http_status", pa.int32()),
        ("message", pa.string()),
        ("attempts", pa.int32()),
        ("recorded_at", pa.timestamp("us")),
    ]
)
_REJECT_SCHEMA = pa.schema(
    [
        ("file", pa.string()),
        ("row_number", pa.int64()),
        ("reason", pa.string()),
        ("raw_row", pa.string()),
        ("scorer", pa.string()),
    ]
)


def utcnow() -> dt.datetime:
    """A naive UTC timestamp, the form DuckDB ``timestamp`` columns hold."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class ScoreRow:
    text_hash: str
    attribute: str
    value: float
    scorer: str
    scorer_version: str | None
    languages: tuple[str, ...] | None
    scored_at: dt.datetime
    policy: str


@dataclass(frozen=True)
class FailureRow:
    text_hash: str
    scorer: str
    outcome: str
    error_type: str
    http_status: int | None
    message: str
    attempts: int
    recorded_at: dt.datetime


@dataclass(frozen=True)
class RejectRow:
    file: str
    row_number: int
    reason: str
    raw_row: str
    scorer: str


def _scores_table(rows: Sequence[ScoreRow]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "text_hash": r.text_hash,
                "attribute": r.attribute,
                "value": r.value,
                "scorer": r.scorer,
                "scorer_version": r.scorer_version,
                "languages": list(r.languages) if r.languages is not None else None,
                "scored_at": r.scored_at,
                "policy": r.policy,
            }
            for r in rows
        ],
        schema=SCORE_SCHEMA,
    )


def _rows_table(rows: Sequence[object], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist([vars(r) for r in rows], schema=schema)


class ScoreStore:
    """Reads and writes the ``raw`` score tables through one DuckDB connection."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        for statement in _DDL:
            conn.execute(statement)

    @classmethod
    @contextmanager
    def open(cls, path: str | Path) -> Iterator[ScoreStore]:
        """Open (creating if needed) the warehouse file for the length of a run."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(str(path))
        try:
            yield cls(conn)
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute("begin transaction")
        try:
            yield
        except BaseException:
            self.conn.execute("rollback")
            raise
        self.conn.execute("commit")

    def record_results(
        self,
        scores: Sequence[ScoreRow],
        failures: Sequence[FailureRow],
        resolved: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Write one batch of scorer results atomically.

        ``resolved`` lists ``(text_hash, scorer)`` pairs that now have their scores and no longer
        need a failure row (an earlier run had run out of retries on them).
        """
        with self._transaction():
            if resolved:
                self.conn.executemany(
                    f"delete from {FAILURES_TABLE} where text_hash = ? and scorer = ?",
                    [list(pair) for pair in resolved],
                )
            if scores:
                self.conn.register("_score_batch", _scores_table(scores))
                self.conn.execute(
                    f"""
                    insert into {SCORES_TABLE} by name select * from _score_batch
                    on conflict do update set
                        value = excluded.value, scorer_version = excluded.scorer_version,
                        languages = excluded.languages, scored_at = excluded.scored_at,
                        policy = excluded.policy
                    """
                )
                self.conn.unregister("_score_batch")
            if failures:
                self.conn.register("_failure_batch", _rows_table(failures, _FAILURE_SCHEMA))
                self.conn.execute(
                    f"""
                    insert into {FAILURES_TABLE} by name select * from _failure_batch
                    on conflict do update set
                        outcome = excluded.outcome, error_type = excluded.error_type,
                        http_status = excluded.http_status, message = excluded.message,
                        attempts = excluded.attempts, recorded_at = excluded.recorded_at
                    """
                )
                self.conn.unregister("_failure_batch")

    def upsert_imported(self, scores: pa.Table) -> int:
        """Insert imported scores (``SCORE_SCHEMA`` columns); change a row only if it differs.

        Only a changed value or ``scorer_version`` rewrites a stored row, so re-importing the
        same file leaves the table, ``scored_at`` included, as it was. Returns the number of
        rows inserted or changed.
        """
        if scores.num_rows == 0:
            return 0
        with self._transaction():
            self.conn.register("_import_batch", scores.select(SCORE_SCHEMA.names))
            changed = self.conn.execute(
                f"""
                select count(*) from _import_batch b
                left join {SCORES_TABLE} s using (text_hash, attribute, scorer)
                where s.value is distinct from b.value
                   or s.scorer_version is distinct from b.scorer_version
                """
            ).fetchone()
            self.conn.execute(
                f"""
                insert into {SCORES_TABLE} by name select * from _import_batch
                on conflict do update set
                    value = excluded.value, scorer_version = excluded.scorer_version,
                    scored_at = excluded.scored_at, policy = excluded.policy
                where value is distinct from excluded.value
                   or scorer_version is distinct from excluded.scorer_version
                """
            )
            self.conn.unregister("_import_batch")
        return int(changed[0]) if changed else 0

    def replace_rejects(self, file: str, scorer: str, rejects: Sequence[RejectRow]) -> None:
        """Make the rejects of ``file`` under ``scorer`` exactly ``rejects`` (re-import safe)."""
        with self._transaction():
            self.conn.execute(
                f"delete from {REJECTS_TABLE} where file = ? and scorer = ?", [file, scorer]
            )
            if rejects:
                self.conn.register("_reject_batch", _rows_table(rejects, _REJECT_SCHEMA))
                self.conn.execute(
                    f"insert into {REJECTS_TABLE} by name select * from _reject_batch"
                )
                self.conn.unregister("_reject_batch")

    def counts(self, scorer: str) -> dict[str, int]:
        """Texts with at least one score, and failure rows by outcome, for ``scorer``."""
        scored = self.conn.execute(
            f"select count(distinct text_hash) from {SCORES_TABLE} where scorer = ?", [scorer]
        ).fetchone()
        by_outcome = dict(
            self.conn.execute(
                f"select outcome, count(*) from {FAILURES_TABLE} where scorer = ? group by 1",
                [scorer],
            ).fetchall()
        )
        return {
            "texts_scored": int(scored[0]) if scored else 0,
            "texts_failed": int(by_outcome.get("error", 0)),
            "texts_skipped": int(by_outcome.get("skipped", 0)),
        }
