"""PRISM_SOURCE resolution: a directory, synthetic data, Hugging Face, and auto's loud fallback."""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import orchestration.prism.source as source_module
from orchestration.prism.download import PrismDownloadError
from orchestration.prism.files import FILENAMES
from orchestration.prism.lines import fingerprint
from orchestration.prism.source import SyntheticFallbackWarning, resolve_source
from orchestration.synthetic.truth import PRESETS
from tests.prism.hf_server import FakeHub, serve
from tests.prism.tiny import write_tiny


@pytest.fixture(scope="module")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory per module, so small synthetic data is generated once."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, shared_data_dir: Path, tmp_path: Path
) -> pytest.MonkeyPatch:
    monkeypatch.setenv("PRISM_DATA_DIR", str(shared_data_dir))
    monkeypatch.setenv("PRISM_LOCK_FILE", str(tmp_path / "prism-lock.json"))
    monkeypatch.setenv("PRISM_SYNTHETIC_SCALE", "small")
    monkeypatch.setenv("PRISM_HF_PROBE_TIMEOUT", "2")
    monkeypatch.delenv("PRISM_HF_REVISION", raising=False)
    monkeypatch.delenv("PRISM_SOURCE", raising=False)
    monkeypatch.delenv("PRISM_SYNTHETIC_TRUTH", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return monkeypatch


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[FakeHub]:
    write_tiny(tmp_path / "published")
    files = {name: (tmp_path / "published" / name).read_bytes() for name in FILENAMES}
    with serve(FakeHub(files=files)) as running:
        yield running


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_directory_revision_hashes_the_four_fingerprints(environment, tmp_path: Path) -> None:
    write_tiny(tmp_path / "plain")
    resolved = resolve_source(str(tmp_path / "plain"))
    prints = "".join(fingerprint(tmp_path / "plain" / name) for name in FILENAMES)
    assert resolved.dataset_source == "prism"
    assert resolved.dataset_revision == f"dir:{hashlib.sha256(prints.encode()).hexdigest()}"
    # The same content gzipped is the same revision.
    (tmp_path / "gz").mkdir()
    for name in FILENAMES:
        data = (tmp_path / "plain" / name).read_bytes()
        (tmp_path / "gz" / f"{name}.gz").write_bytes(gzip.compress(data))
    assert resolve_source(str(tmp_path / "gz")).dataset_revision == resolved.dataset_revision


def test_unknown_setting_is_an_error(environment, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not 'auto', 'huggingface', 'synthetic'"):
        resolve_source(str(tmp_path / "nowhere"))


def test_directory_missing_a_file_is_an_error(environment, tmp_path: Path) -> None:
    write_tiny(tmp_path / "partial")
    (tmp_path / "partial" / "metadata.jsonl").unlink()
    with pytest.raises(FileNotFoundError, match="neither metadata.jsonl nor metadata.jsonl.gz"):
        resolve_source(str(tmp_path / "partial"))


def test_synthetic_is_generated_once(environment, shared_data_dir: Path) -> None:
    resolved = resolve_source("synthetic")
    assert resolved.directory == shared_data_dir / "synthetic" / "small-seed0"
    assert (resolved.dataset_source, resolved.dataset_revision) == (
        "synthetic",
        "synthetic:small:seed=0",
    )
    stamp = (resolved.directory / "survey.jsonl").stat().st_mtime_ns
    assert resolve_source("synthetic").directory == resolved.directory
    assert (resolved.directory / "survey.jsonl").stat().st_mtime_ns == stamp


def test_synthetic_truth_gets_its_own_directory_and_revision(
    environment, shared_data_dir: Path
) -> None:
    environment.setenv("PRISM_SYNTHETIC_TRUTH", "recovery")
    resolved = resolve_source("synthetic")
    assert resolved.directory == shared_data_dir / "synthetic" / "small-seed0-truth-recovery"
    assert resolved.dataset_revision == "synthetic:small:seed=0:truth=recovery"
    planted = json.loads((resolved.directory / "truth.json").read_text())
    assert planted["preset"] == "recovery"


def test_synthetic_truth_must_name_a_preset_or_a_file(environment) -> None:
    environment.setenv("PRISM_SYNTHETIC_TRUTH", "optimistic")
    with pytest.raises(ValueError, match="PRISM_SYNTHETIC_TRUTH='optimistic'"):
        resolve_source("synthetic")


def test_synthetic_presets_match_the_generator() -> None:
    # Declared twice so resolving a source never imports the generator's numpy stack.
    assert source_module.SYNTHETIC_PRESETS == PRESETS


def test_auto_falls_back_to_synthetic_loudly(environment, caplog: pytest.LogCaptureFixture) -> None:
    environment.setenv("PRISM_HF_BASE_URL", f"http://127.0.0.1:{_closed_port()}")
    with pytest.warns(SyntheticFallbackWarning, match="SYNTHETIC data"):
        resolved = resolve_source("auto")
    assert resolved.dataset_source == "synthetic"
    assert "Hugging Face unreachable" in resolved.description
    assert "NOT the published PRISM" in caplog.text


def test_auto_downloads_when_reachable_then_uses_the_verified_cache(
    environment, hub: FakeHub
) -> None:
    environment.setenv("PRISM_HF_BASE_URL", hub.url)
    resolved = resolve_source(None)
    assert (resolved.dataset_source, resolved.dataset_revision) == ("prism", hub.commit)
    assert sorted(p.name for p in resolved.directory.iterdir()) == sorted(FILENAMES)
    requests = len(hub.requests)
    again = resolve_source("auto")
    assert again.directory == resolved.directory
    assert len(hub.requests) == requests


def test_huggingface_when_unreachable_raises(environment) -> None:
    environment.setenv("PRISM_HF_BASE_URL", f"http://127.0.0.1:{_closed_port()}")
    real = source_module.download_prism
    environment.setattr(source_module, "download_prism", lambda: real(attempts=1))
    with pytest.raises(PrismDownloadError, match="PRISM_SOURCE=synthetic"):
        resolve_source("huggingface")
