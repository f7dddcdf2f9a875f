"""Scoring runs against the fake Perspective: quota, retries, failures, dedup, the key."""

from __future__ import annotations

import bisect
import logging
from pathlib import Path

import duckdb
import pytest

from scoring.attributes import ATTRIBUTE_LANGUAGES, BRIDGING_ATTRIBUTES, PAPER_ATTRIBUTES
from scoring.pacing import RetryPolicy
from scoring.runner import Progress, run_scoring
from scoring.store import ScoreStore
from tests.scoring.support import (
    API_KEY,
    StagingText,
    english_texts,
    fake_server,
    make_warehouse,
    scoring_config,
)


def analyze_log(server):
    return [e for e in server.log if e.path.endswith("comments:analyze")]


def test_full_run_records_scores_skips_and_policies(tmp_path: Path) -> None:
    oversize = StagingText("é" * 10_500)
    texts = english_texts(12) + [
        StagingText(""),
        StagingText("EMPTY STRING"),
        StagingText("hola a todos, ¿qué tal?", "es"),
        StagingText("lorem ipsum dolor sit amet", "la"),
        oversize,
    ]
    db = make_warehouse(tmp_path / "w.duckdb", texts)
    with fake_server() as server, ScoreStore.open(db) as store:
        report = run_scoring(store, API_KEY, scoring_config(server))
        fake = server.fake
        rows = store.conn.execute(
            "select text_hash, attribute, value, scorer, scorer_version, languages, policy "
            "from raw.text_scores"
        ).fetchall()
        failures = dict(
            store.conn.execute(
                "select text_hash, (outcome, error_type, attempts) from raw.text_score_failures"
            ).fetchall()
        )
    assert report.aborted is None
    assert report.progress.done == report.progress.planned == len(texts)
    # 12 English + oversize: 8 attributes each; Spanish: TOXICITY only.
    assert len(rows) == 13 * 8 + 1
    by_text = {t.text: t.text_hash for t in texts}
    for text_hash_, attribute, value, scorer, version, languages, policy in rows:
        assert scorer == "perspective"
        assert version == f"v1alpha1@{server.url.removeprefix('http://')}"
        expected_text = next(t for t, h in by_text.items() if h == text_hash_)
        if text_hash_ == oversize.text_hash:
            assert policy == "truncated:20480"
            expected_text = "é" * 10_240
        else:
            assert policy == "none"
        assert value == fake._value(expected_text, attribute)
        assert languages == (["es"] if text_hash_ == by_text["hola a todos, ¿qué tal?"] else ["en"])
    assert failures[by_text[""]] == ("skipped", "EMPTY_TEXT", 0)
    assert failures[by_text["EMPTY STRING"]] == ("skipped", "EMPTY_TEXT", 0)
    assert failures[by_text["hola a todos, ¿qué tal?"]] == (
        "skipped",
        "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
        1,
    )
    assert failures[by_text["lorem ipsum dolor sit amet"]][:2] == (
        "skipped",
        "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
    )
    assert len(failures) == 4
    # Nothing that was skipped reached the server.
    sent = {e.text_hash for e in analyze_log(server)}
    assert by_text[""] not in sent and by_text["lorem ipsum dolor sit amet"] not in sent


def test_oversize_skip_policy(tmp_path: Path) -> None:
    big = StagingText("a" * 20_481)
    db = make_warehouse(tmp_path / "w.duckdb", [big])
    with fake_server() as server, ScoreStore.open(db) as store:
        run_scoring(store, API_KEY, scoring_config(server, oversize="skip"))
        row = store.conn.execute(
            "select outcome, error_type, message from raw.text_score_failures"
        ).fetchone()
        assert store.conn.execute("select count(*) from raw.text_scores").fetchone() == (0,)
        assert analyze_log(server) == []
    assert row[:2] == ("skipped", "COMMENT_TOO_LONG")
    assert "20481 UTF-8 bytes" in row[2]


def test_quota_is_held_from_server_timestamps(tmp_path: Path) -> None:
    # A 5-second window scales the per-minute quota down so a test can fill it: 100 per 5 s.
    quota, window, n = 100, 5.0, 220
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(n))
    with (
        fake_server(quota_per_minute=quota, quota_window=window) as server,
        ScoreStore.open(db) as store,
    ):
        config = scoring_config(
            server, qps=quota / window, headroom=0.95, quota_window=window, concurrency=8
        )
        report = run_scoring(store, API_KEY, config)
        log = analyze_log(server)
    assert report.aborted is None and report.progress.scored == n
    assert [e.status for e in log].count(429) == 0
    times = sorted(e.at for e in log)
    busiest = max(bisect.bisect_left(times, t + window) - i for i, t in enumerate(times))
    assert busiest <= quota
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 0.9 * 19 <= rate <= quota / window


def test_retries_through_faults(tmp_path: Path) -> None:
    n = 60
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(n))
    with (
        fake_server(fault_rate=0.3, slow_seconds=0.2, seed=3) as server,
        ScoreStore.open(db) as store,
    ):
        report = run_scoring(
            store,
            API_KEY,
            scoring_config(
                server,
                retry=RetryPolicy(max_attempts=10, initial_wait=0.05, max_wait=0.3, jitter=0.05),
            ),
        )
        counts = store.counts("perspective")
        log = analyze_log(server)
    faults = {e.fault for e in log if e.fault}
    assert {"http500", "http503_burst", "drop", "malformed"} <= faults
    assert counts == {"texts_scored": n, "texts_failed": 0, "texts_skipped": 0}
    assert len(log) == report.progress.requests > n
    assert sum(report.progress.retried.values()) == report.progress.requests - n


def test_text_rejection_recorded_once_and_never_resent(tmp_path: Path) -> None:
    # A server whose TOXICITY model knows English only refuses the Spanish text for good.
    strict = {**ATTRIBUTE_LANGUAGES, "TOXICITY": frozenset({"en"})}
    spanish = StagingText("hola a todos", "es")
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(3) + [spanish])
    with fake_server(attribute_languages=strict) as server:
        with ScoreStore.open(db) as store:
            first = run_scoring(store, API_KEY, scoring_config(server))
        sent_first = len(analyze_log(server))
        with ScoreStore.open(db) as store:
            second = run_scoring(store, API_KEY, scoring_config(server))
            row = store.conn.execute(
                "select outcome, error_type, http_status, message, attempts "
                "from raw.text_score_failures where text_hash = ?",
                [spanish.text_hash],
            ).fetchone()
        assert len(analyze_log(server)) == sent_first == 4
    assert first.progress.errors["LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"] == 1
    assert row == (
        "error",
        "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
        400,
        "Attribute TOXICITY does not support request languages: es",
        1,
    )
    assert second.progress.planned == 0


def test_second_run_sends_only_new_texts(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(20))
    with fake_server() as server:
        with ScoreStore.open(db) as store:
            run_scoring(store, API_KEY, scoring_config(server))
        make_warehouse(db, english_texts(20) + english_texts(5, prefix="new"))
        with ScoreStore.open(db) as store:
            report = run_scoring(store, API_KEY, scoring_config(server))
            total = store.conn.execute(
                "select count(distinct text_hash) from raw.text_scores"
            ).fetchone()
    assert report.already_complete == 20
    assert report.progress.requests == 5
    assert len(analyze_log(server)) == 25
    assert total == (25,)


def test_new_attribute_requests_only_that_attribute(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(4))
    with fake_server() as server, ScoreStore.open(db) as store:
        run_scoring(store, API_KEY, scoring_config(server, attributes=("TOXICITY",)))
        report = run_scoring(
            store, API_KEY, scoring_config(server, attributes=("TOXICITY", "INSULT"))
        )
        counts = dict(
            store.conn.execute(
                "select attribute, count(*) from raw.text_scores group by 1"
            ).fetchall()
        )
    assert report.progress.requests == 4
    assert counts == {"TOXICITY": 4, "INSULT": 4}


def test_exhausted_retries_abort_and_stay_pending(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(10))
    quick = RetryPolicy(max_attempts=2, initial_wait=0.01, max_wait=0.02, jitter=0.01)
    with (
        fake_server(fault_rate=1.0, fault_kinds=("http500",)) as broken,
        ScoreStore.open(db) as store,
    ):
        report = run_scoring(
            store,
            API_KEY,
            scoring_config(broken, retry=quick, concurrency=1, abort_after_exhausted=3),
        )
        failures = store.conn.execute(
            "select error_type, http_status, attempts, message from raw.text_score_failures"
        ).fetchall()
    assert report.aborted and "3 texts in a row ran out of retries" in report.aborted
    assert len(failures) == 3
    assert all(f[:3] == ("RETRIES_EXHAUSTED", 500, 2) for f in failures)
    assert "last: HTTP_500: Internal error encountered." in failures[0][3]
    with fake_server() as healthy, ScoreStore.open(db) as store:
        again = run_scoring(store, API_KEY, scoring_config(healthy))
        assert store.counts("perspective") == {
            "texts_scored": 10,
            "texts_failed": 0,
            "texts_skipped": 0,
        }
    assert again.progress.requests == 10


def test_bad_key_stops_the_run_without_blocking_texts(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(30))
    with fake_server() as server:
        with ScoreStore.open(db) as store:
            report = run_scoring(store, "not-the-key", scoring_config(server, concurrency=4))
        assert report.aborted and "API_KEY_INVALID" in report.aborted
        assert len(analyze_log(server)) <= 4
        with ScoreStore.open(db) as store:
            run_scoring(store, API_KEY, scoring_config(server))
            assert store.counts("perspective")["texts_scored"] == 30
            assert store.conn.execute(
                "select count(*) from raw.text_score_failures"
            ).fetchone() == (0,)


def test_request_budget(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(30))
    with fake_server() as server, ScoreStore.open(db) as store:
        report = run_scoring(store, API_KEY, scoring_config(server, max_requests=10))
        assert len(analyze_log(server)) == 10
    assert report.progress.done == 10 and report.progress.remaining == 20


def test_progress_callback_and_key_absent_from_logs_and_db(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    texts = english_texts(40) + [StagingText("hola", "es"), StagingText("")]
    db = make_warehouse(tmp_path / "w.duckdb", texts)
    snapshots: list[tuple[int, int, float]] = []

    def on_progress(progress: Progress) -> None:
        snapshots.append((progress.done, progress.remaining, progress.requests_per_second))

    with caplog.at_level(logging.DEBUG), fake_server(fault_rate=0.2, slow_seconds=0.1) as server:
        with ScoreStore.open(db) as store:
            report = run_scoring(
                store,
                API_KEY,
                scoring_config(server, progress_interval=0.3),
                on_progress=on_progress,
            )
        with ScoreStore.open(db) as store:
            run_scoring(store, "wrong-key", scoring_config(server))
    assert snapshots[-1][:2] == (42, 0)
    assert len(snapshots) >= 2
    assert "scoring progress:" in caplog.text and "HTTP Request: POST" in caplog.text
    assert API_KEY not in caplog.text
    assert "wrong-key" not in caplog.text
    out, err = capfd.readouterr()
    assert API_KEY not in out + err
    assert API_KEY not in report.progress.summary()
    with duckdb.connect(str(db)) as conn:
        dump = conn.execute(
            "select string_agg(t::varchar, '|') from (select * from raw.text_scores) t "
            "union all select string_agg(f::varchar, '|') from raw.text_score_failures f"
        ).fetchall()
    assert all(API_KEY not in (d or "") for (d,) in dump)
    assert API_KEY.encode() not in db.read_bytes()


def test_unknown_attribute_is_refused_before_sending(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(1))
    with (
        fake_server() as server,
        ScoreStore.open(db) as store,
        pytest.raises(ValueError, match="NOT_REAL"),
    ):
        run_scoring(store, API_KEY, scoring_config(server, attributes=("NOT_REAL",)))


def test_bridging_attributes_are_english_only() -> None:
    assert all(ATTRIBUTE_LANGUAGES[a] == frozenset({"en"}) for a in BRIDGING_ATTRIBUTES)
    assert "es" in ATTRIBUTE_LANGUAGES["TOXICITY"]
    assert set(PAPER_ATTRIBUTES) == set(BRIDGING_ATTRIBUTES) | {"TOXICITY"}


def test_endpoint_gone_after_shutdown_stops_at_once(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(20))
    with fake_server(gone=True) as server, ScoreStore.open(db) as store:
        report = run_scoring(store, API_KEY, scoring_config(server, concurrency=2))
        sent = len(server.log)
        pending = store.conn.execute(
            "select count(*) from raw.text_score_failures where error_type <> 'ENDPOINT_GONE'"
        ).fetchone()
    assert report.aborted and "Perspective may be shut down" in report.aborted
    assert sent <= 2
    assert pending == (0,)
