"""A scoring process killed with SIGKILL mid-run resumes to exactly the uninterrupted result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb

from tests.scoring.fake_perspective import FakePerspectiveServer
from tests.scoring.support import API_KEY, english_texts, fake_server, make_warehouse

N_TEXTS = 120
CONCURRENCY = 4
REPO = Path(__file__).resolve().parents[2]


def score_command(db: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scoring.cli",
        "--db",
        str(db),
        "score",
        "--qps",
        "40",
        "--concurrency",
        str(CONCURRENCY),
        "--progress-interval",
        "0.5",
    ]


def env_for(server: FakePerspectiveServer) -> dict[str, str]:
    return {
        **os.environ,
        "PERSPECTIVE_API_URL": server.url,
        "PERSPECTIVE_API_KEY": API_KEY,
        "PYTHONPATH": str(REPO),
    }


def final_table(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(
            "select text_hash, attribute, value, scorer, scorer_version, languages, policy "
            "from raw.text_scores order by all"
        ).fetchall()


def answered(
    server: FakePerspectiveServer, start: int = 0, stop: int | None = None
) -> list[str | None]:
    """Hashes of the texts the server answered with scores, in log positions [start, stop)."""
    return [e.text_hash for e in server.log[start:stop] if e.status == 200]


def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path: Path) -> None:
    texts = english_texts(N_TEXTS)
    killed_db = make_warehouse(tmp_path / "killed.duckdb", texts)
    clean_db = make_warehouse(tmp_path / "clean.duckdb", texts)
    with fake_server() as server:
        env = env_for(server)
        proc = subprocess.Popen(
            score_command(killed_db), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while len(answered(server)) < N_TEXTS // 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        scored_at_kill = len({row[0] for row in final_table(killed_db)})
        assert 0 < scored_at_kill < N_TEXTS

        resumed = subprocess.run(
            score_command(killed_db), env=env, capture_output=True, timeout=120, check=True
        )
        first_two = len(server.log)
        clean = subprocess.run(
            score_command(clean_db), env=env, capture_output=True, timeout=120, check=True
        )

    assert final_table(killed_db) == final_table(clean_db)
    assert len({row[0] for row in final_table(clean_db)}) == N_TEXTS
    sent = Counter(answered(server, 0, first_two))
    wasted = sum(n - 1 for n in sent.values())
    assert set(sent) == {t.text_hash for t in texts}
    print(f"killed after {scored_at_kill} texts stored; wasted requests: {wasted}")
    assert wasted <= CONCURRENCY
    assert len(answered(server, first_two)) == N_TEXTS
    for stream in (out, err, resumed.stdout, resumed.stderr, clean.stdout, clean.stderr):
        assert API_KEY.encode() not in stream
    assert b"scoring progress:" in resumed.stderr
