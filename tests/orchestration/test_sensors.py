"""The PRISM source sensor and the score inbox sensor, evaluated with built sensor contexts."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from orchestration import sensors
from orchestration.assets.ingest import INGEST_ASSETS
from orchestration.assets.scoring import SCORES_KEY, text_scores
from orchestration.prism.files import FILENAMES, KINDS
from orchestration.resources import PerspectiveResource, PrismSourceResource, WarehouseResource
from orchestration.sensors import (
    SENSORS,
    inbox_dir,
    prism_source_sensor,
    score_file_sensor,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _tick(
    sensor: dg.SensorDefinition, cursor: str | None = None
) -> dg.SensorResult | dg.SkipReason:
    return sensor(dg.build_sensor_context(cursor=cursor))


def _age(path: Path, seconds: float = 60.0) -> None:
    """Backdate ``path`` past the sensor's settle time, as if it was copied in a minute ago."""
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRISM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_sensor_list_and_default_status() -> None:
    assert [s.name for s in SENSORS] == ["prism_source_sensor", "score_file_sensor"]
    assert prism_source_sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert score_file_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert prism_source_sensor.minimum_interval_seconds == 3600
    assert score_file_sensor.minimum_interval_seconds == 60


def test_sensor_module_holds_no_http_client() -> None:
    # Talking to Hugging Face is the PRISM library's job (orchestration/prism/hub.py).
    source = Path(sensors.__file__).read_text(encoding="utf-8")
    assert "httpx" not in source and "urllib" not in source


def _definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[*INGEST_ASSETS, text_scores],
        sensors=SENSORS,
        jobs=[dg.define_asset_job("import_scores", selection=[SCORES_KEY])],
        resources={
            "warehouse": WarehouseResource(),
            "perspective": PerspectiveResource(),
            "prism_source": PrismSourceResource(),
        },
    )


def test_sensor_targets_resolve_to_the_ingest_and_scoring_assets() -> None:
    defs = _definitions()

    def targeted(sensor: dg.SensorDefinition) -> set[dg.AssetKey]:
        return set(defs.resolve_job_def(sensor.job_name).asset_layer.selected_asset_keys)

    assert targeted(prism_source_sensor) == {dg.AssetKey(["raw", f"prism_{k}"]) for k in KINDS}
    assert targeted(score_file_sensor) == {SCORES_KEY}


# Score inbox ----------------------------------------------------------------------------------


def test_empty_inbox_is_created_and_skipped(data_dir: Path) -> None:
    result = _tick(score_file_sensor)
    assert isinstance(result, dg.SkipReason)
    assert inbox_dir() == data_dir / "inbox" / "scores"
    assert inbox_dir().is_dir()


def test_new_score_file_requests_one_import_run(data_dir: Path) -> None:
    inbox = inbox_dir()
    inbox.mkdir(parents=True)
    scores = inbox / "jigsaw_2026.csv"
    scores.write_text("text_hash,attribute,value\n")
    _age(scores)
    (inbox / "notes.txt").write_text("not a score file")
    _age(inbox / "notes.txt")

    result = _tick(score_file_sensor)

    assert isinstance(result, dg.SensorResult)
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    assert request.run_key == f"jigsaw_2026.csv:{scores.stat().st_mtime_ns}"
    assert request.run_config == {
        "ops": {
            "raw__text_scores": {
                "config": {
                    "scorer": "imported",
                    "path": str(scores.resolve()),
                    "import_name": "jigsaw_2026",
                }
            }
        }
    }
    assert json.loads(result.cursor) == {"jigsaw_2026.csv": scores.stat().st_mtime_ns}


def test_run_config_is_valid_for_the_scoring_asset(data_dir: Path) -> None:
    inbox = inbox_dir()
    inbox.mkdir(parents=True)
    scores = inbox / "scores.parquet"
    scores.write_bytes(b"PAR1")
    _age(scores)
    request = _tick(score_file_sensor).run_requests[0]

    job = _definitions().resolve_job_def("import_scores")
    validated = dg.validate_run_config(job, request.run_config)
    config = validated["ops"]["raw__text_scores"]["config"]
    assert (config["scorer"], config["import_name"]) == ("imported", "scores")


def test_same_file_on_the_next_tick_requests_nothing(data_dir: Path) -> None:
    inbox = inbox_dir()
    inbox.mkdir(parents=True)
    scores = inbox / "batch.jsonl"
    scores.write_text('{"text": "hi", "TOXICITY": 0.1}\n')
    _age(scores)

    first = _tick(score_file_sensor)
    second = _tick(score_file_sensor, cursor=first.cursor)

    assert len(first.run_requests) == 1
    assert isinstance(second, dg.SkipReason)


def test_rewritten_file_is_imported_again_and_new_files_only_once(data_dir: Path) -> None:
    inbox = inbox_dir()
    inbox.mkdir(parents=True)
    first_file = inbox / "a.csv"
    first_file.write_text("x\n")
    _age(first_file, 120)
    cursor = _tick(score_file_sensor).cursor

    first_file.write_text("x\ny\n")
    _age(first_file, 60)
    second_file = inbox / "b.csv"
    second_file.write_text("z\n")
    _age(second_file, 60)
    result = _tick(score_file_sensor, cursor=cursor)

    keys = sorted(r.run_key for r in result.run_requests)
    assert keys == sorted(
        [f"a.csv:{first_file.stat().st_mtime_ns}", f"b.csv:{second_file.stat().st_mtime_ns}"]
    )
    assert isinstance(_tick(score_file_sensor, cursor=result.cursor), dg.SkipReason)


def test_file_still_being_written_waits_for_a_later_tick(data_dir: Path) -> None:
    inbox = inbox_dir()
    inbox.mkdir(parents=True)
    scores = inbox / "arriving.csv"
    scores.write_text("text_hash,attribute,value\n")

    assert isinstance(_tick(score_file_sensor), dg.SkipReason)
    _age(scores)
    result = _tick(score_file_sensor)
    assert [r.tags["prism/score_file"] for r in result.run_requests] == ["arriving.csv"]


def test_removed_file_leaves_the_cursor(data_dir: Path) -> None:
    inbox = inbox_dir()
    inbox.mkdir(parents=True)
    scores = inbox / "gone.csv"
    scores.write_text("x\n")
    _age(scores)
    cursor = _tick(score_file_sensor).cursor
    scores.unlink()

    result = _tick(score_file_sensor, cursor=cursor)
    assert isinstance(result, dg.SensorResult)
    assert result.run_requests == []
    assert json.loads(result.cursor) == {}


# PRISM source ---------------------------------------------------------------------------------


def _write_prism_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in FILENAMES:
        (directory / name).write_text("{}\n")


def test_directory_source_runs_once_then_on_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "prism"
    _write_prism_dir(source)
    monkeypatch.setenv("PRISM_SOURCE", str(source))

    first = _tick(prism_source_sensor)
    assert isinstance(first, dg.SensorResult)
    assert len(first.run_requests) == 1
    assert first.cursor.startswith("directory:")
    assert first.run_requests[0].run_key == first.cursor
    assert first.run_requests[0].tags["prism/source"] == "directory"

    assert isinstance(_tick(prism_source_sensor, cursor=first.cursor), dg.SkipReason)

    with (source / FILENAMES[2]).open("a") as handle:
        handle.write("{}\n")
    changed = _tick(prism_source_sensor, cursor=first.cursor)
    assert isinstance(changed, dg.SensorResult)
    assert changed.cursor != first.cursor
    assert [r.run_key for r in changed.run_requests] == [changed.cursor]


def test_incomplete_directory_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "prism"
    _write_prism_dir(source)
    (source / FILENAMES[0]).unlink()
    monkeypatch.setenv("PRISM_SOURCE", str(source))

    result = _tick(prism_source_sensor)
    assert isinstance(result, dg.SkipReason)
    assert FILENAMES[0] in result.skip_message


def test_synthetic_source_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISM_SOURCE", "synthetic")
    assert isinstance(_tick(prism_source_sensor), dg.SkipReason)


class _RevisionHandler(BaseHTTPRequestHandler):
    """Answers Hugging Face's revision endpoint with the server's ``status`` and ``body``."""

    def do_GET(self) -> None:
        server = self.server
        server.paths.append(self.path)
        server.auth.append(self.headers.get("Authorization"))
        payload = server.body.encode()
        self.send_response(server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RevisionHandler)
    server.status, server.body = 200, json.dumps({"id": "x", "sha": COMMIT})
    server.paths, server.auth = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PRISM_SOURCE", "huggingface")
    monkeypatch.setenv("PRISM_HF_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.delenv("PRISM_HF_REVISION", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield server
    server.shutdown()
    server.server_close()


def test_new_hugging_face_commit_requests_a_run(fake_hub: ThreadingHTTPServer) -> None:
    result = _tick(prism_source_sensor, cursor="huggingface:" + "f" * 40)

    assert isinstance(result, dg.SensorResult)
    assert result.cursor == f"huggingface:{COMMIT}"
    [request] = result.run_requests
    assert request.tags["prism/source_identity"] == COMMIT
    assert fake_hub.paths == ["/api/datasets/HannahRoseKirk/prism-alignment/revision/main"]


def test_same_hugging_face_commit_is_skipped(fake_hub: ThreadingHTTPServer) -> None:
    result = _tick(prism_source_sensor, cursor=f"huggingface:{COMMIT}")
    assert isinstance(result, dg.SkipReason)


def test_hf_token_is_sent_as_bearer(
    fake_hub: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    _tick(prism_source_sensor)
    assert fake_hub.auth == ["Bearer hf_test_token"]


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, "{}"), (404, '{"error": "Revision Not Found"}'), (200, "not json"), (200, "{}")],
)
def test_bad_hugging_face_answer_is_skipped(
    fake_hub: ThreadingHTTPServer, status: int, body: str
) -> None:
    fake_hub.status, fake_hub.body = status, body
    result = _tick(prism_source_sensor, cursor=f"huggingface:{COMMIT}")
    assert isinstance(result, dg.SkipReason)
    assert "Hugging Face revision lookup failed" in result.skip_message


def test_unreachable_hugging_face_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on a port just freed, so the connection is refused at once.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PRISM_SOURCE", "auto")
    monkeypatch.setenv("PRISM_HF_BASE_URL", f"http://127.0.0.1:{port}")

    result = _tick(prism_source_sensor, cursor=f"huggingface:{COMMIT}")

    assert isinstance(result, dg.SkipReason)
    assert "ConnectError" in result.skip_message
