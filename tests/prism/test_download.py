"""The downloader against a loopback Hugging Face stand-in: lock, resume, checksum, errors."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.prism.download import PrismDownloadError, cached_download, download_prism
from orchestration.prism.files import FILENAMES
from orchestration.prism.hub import Hub
from tests.prism.hf_server import FakeHub, serve
from tests.prism.tiny import write_tiny


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[FakeHub]:
    source = tmp_path / "published"
    write_tiny(source)
    # Repeat the lines so each file spans several chunks and a half-transfer is meaningful.
    files = {name: (source / name).read_bytes() * 50 for name in FILENAMES}
    with serve(FakeHub(files=files)) as running:
        yield running


def _download(hub: FakeHub, tmp_path: Path, token: str | None = None):
    return download_prism(
        Hub(base_url=hub.url, revision="main", token=token),
        dest=tmp_path / "data" / "prism",
        lock_path=tmp_path / "prism-lock.json",
        attempts=3,
        backoff_seconds=0.0,
    )


def _gets(hub: FakeHub) -> list[dict[str, str | None]]:
    return [r for r in hub.requests if r["path"]]


def test_first_download_records_the_lock(hub: FakeHub, tmp_path: Path) -> None:
    result = _download(hub, tmp_path)
    assert result.commit == hub.commit
    assert result.dataset_revision == hub.commit
    assert result.directory == tmp_path / "data" / "prism" / "main"
    assert result.downloaded == FILENAMES
    lock = json.loads((tmp_path / "prism-lock.json").read_text())
    assert lock["repository"] == "HannahRoseKirk/prism-alignment"
    assert lock["revisions"]["main"]["commit"] == hub.commit
    for name, content in hub.files.items():
        assert (result.directory / name).read_bytes() == content
        assert lock["revisions"]["main"]["files"][name] == {
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
    assert not list(result.directory.glob("*.part"))


def test_second_download_verifies_the_cache_without_fetching(hub: FakeHub, tmp_path: Path) -> None:
    _download(hub, tmp_path)
    fetched = len(hub.requests)
    again = _download(hub, tmp_path)
    assert again.downloaded == ()
    assert len(hub.requests) == fetched
    cached = cached_download(
        "main", dest=tmp_path / "data" / "prism", lock_path=tmp_path / "prism-lock.json"
    )
    assert cached is not None and cached.commit == hub.commit


def test_redownload_uses_the_locked_commit_and_verifies(hub: FakeHub, tmp_path: Path) -> None:
    first = _download(hub, tmp_path)
    (first.directory / "utterances.jsonl").unlink()
    lock_before = (tmp_path / "prism-lock.json").read_bytes()
    again = _download(hub, tmp_path)
    assert again.downloaded == ("utterances.jsonl",)
    assert hub.requests[-1]["path"].endswith(f"/resolve/{hub.commit}/utterances.jsonl")
    assert (tmp_path / "prism-lock.json").read_bytes() == lock_before


def test_truncated_transfer_is_resumed_with_a_range_request(hub: FakeHub, tmp_path: Path) -> None:
    hub.truncate_next = 1
    result = _download(hub, tmp_path)
    survey = hub.files["survey.jsonl"]
    survey_requests = [r for r in hub.requests if r["path"].endswith("/survey.jsonl")]
    assert [r["range"] for r in survey_requests] == [None, f"bytes={len(survey) // 2}-"]
    assert (result.directory / "survey.jsonl").read_bytes() == survey


def test_checksum_mismatch_fails_and_leaves_the_lock_alone(hub: FakeHub, tmp_path: Path) -> None:
    first = _download(hub, tmp_path)
    lock_before = (tmp_path / "prism-lock.json").read_bytes()
    (first.directory / "metadata.jsonl").unlink()
    hub.files["metadata.jsonl"] = hub.files["metadata.jsonl"].replace(b"false", b"true ")
    with pytest.raises(PrismDownloadError, match="checksum mismatch for metadata.jsonl") as error:
        _download(hub, tmp_path)
    assert error.value.url.endswith(f"/resolve/{hub.commit}/metadata.jsonl")
    assert "remove the 'main' entry" in str(error.value)
    assert (tmp_path / "prism-lock.json").read_bytes() == lock_before
    assert not (first.directory / "metadata.jsonl").exists()
    assert not (first.directory / "metadata.jsonl.part").exists()


def test_server_errors_are_retried(hub: FakeHub, tmp_path: Path) -> None:
    hub.fail_next_with = [503, 500]
    result = _download(hub, tmp_path)
    assert (result.directory / "survey.jsonl").read_bytes() == hub.files["survey.jsonl"]


def test_token_is_sent_as_bearer_and_never_logged(
    hub: FakeHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hub.required_token = "hf_secret_value"
    with caplog.at_level(logging.DEBUG):
        _download(hub, tmp_path, token="hf_secret_value")
    assert {r["authorization"] for r in hub.requests} == {"Bearer hf_secret_value"}
    assert "hf_secret_value" not in caplog.text
    assert "hf_secret_value" not in repr(Hub(hub.url, "main", token="hf_secret_value"))


def test_missing_token_gives_a_hint(hub: FakeHub, tmp_path: Path) -> None:
    hub.required_token = "hf_secret_value"
    with pytest.raises(PrismDownloadError, match="HTTP 401") as error:
        _download(hub, tmp_path)
    assert "set HF_TOKEN" in str(error.value)
    assert not (tmp_path / "prism-lock.json").exists()


def test_unknown_revision_is_not_found(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(PrismDownloadError, match="HTTP 404") as error:
        download_prism(Hub(hub.url, "v9"), dest=tmp_path, lock_path=tmp_path / "lock.json")
    assert "/resolve/v9/survey.jsonl" in str(error.value)
    assert "PRISM_HF_REVISION" in str(error.value)


def test_unreachable_host_error_names_url_and_way_out(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port was free a moment ago and nothing listens on it now.
    with pytest.raises(PrismDownloadError) as error:
        download_prism(
            Hub(f"http://127.0.0.1:{port}", "main"),
            dest=tmp_path,
            lock_path=tmp_path / "lock.json",
            attempts=2,
            backoff_seconds=0.0,
        )
    message = str(error.value)
    assert (
        f"http://127.0.0.1:{port}/datasets/HannahRoseKirk/prism-alignment/resolve/main/survey.jsonl"
        in message
    )
    assert "no HTTP response" in message
    assert "PRISM_SOURCE=synthetic" in message
    assert error.value.status is None
