"""PRISM_SOURCE resolution: a directory, synthetic data, Hugging Face, and auto's loud fallback."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import orchestration.prism.source as source_module
from orchestration.prism.download import PrismDownloadError
from orchestration.prism.files import FILENAMES
from orchestration.prism.hub import Hub
from orchestration.prism.lines import fingerprint
from orchestration.prism.source import SourceOptions, SyntheticFallbackWarning, resolve_source
from orchestration.synthetic.truth import PRESETS
from tests.prism.hf_server import FakeHub, serve
from tests.prism.tiny import write_tiny


@pytest.fixture(scope="module")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory per module, so small synthetic data is generated once."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def options(shared_data_dir: Path, tmp_path: Path) -> SourceOptions:
    """Small synthetic data, and a Hugging Face that nobody answers for."""
    return SourceOptions(
        data_dir=shared_data_dir,
        hub=Hub(f"http://127.0.0.1:{_closed_port()}", "main"),
        lock_path=tmp_path / "prism-lock.json",
        probe_timeout=2.0,
        synthetic_scale="small",
        synthetic_truth="paper",
    )


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


def test_directory_revision_hashes_the_four_fingerprints(options, tmp_path: Path) -> None:
    write_tiny(tmp_path / "plain")
    resolved = resolve_source(str(tmp_path / "plain"), options)
    prints = "".join(fingerprint(tmp_path / "plain" / name) for name in FILENAMES)
    assert resolved.dataset_source == "prism"
    assert resolved.dataset_revision == f"dir:{hashlib.sha256(prints.encode()).hexdigest()}"
    # The same content gzipped is the same revision.
    (tmp_path / "gz").mkdir()
    for name in FILENAMES:
        data = (tmp_path / "plain" / name).read_bytes()
        (tmp_path / "gz" / f"{name}.gz").write_bytes(gzip.compress(data))
    assert resolve_source(str(tmp_path / "gz"), options).dataset_revision == (
        resolved.dataset_revision
    )


def test_unknown_setting_is_an_error(options, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not 'auto', 'huggingface', 'synthetic'"):
        resolve_source(str(tmp_path / "nowhere"), options)


def test_directory_missing_a_file_is_an_error(options, tmp_path: Path) -> None:
    write_tiny(tmp_path / "partial")
    (tmp_path / "partial" / "metadata.jsonl").unlink()
    with pytest.raises(FileNotFoundError, match="neither metadata.jsonl nor metadata.jsonl.gz"):
        resolve_source(str(tmp_path / "partial"), options)


def test_synthetic_is_generated_once(options, shared_data_dir: Path) -> None:
    resolved = resolve_source("synthetic", options)
    assert resolved.directory == shared_data_dir / "synthetic" / "small-seed0"
    assert (resolved.dataset_source, resolved.dataset_revision) == (
        "synthetic",
        "synthetic:small:seed=0",
    )
    stamp = (resolved.directory / "survey.jsonl").stat().st_mtime_ns
    assert resolve_source("synthetic", options).directory == resolved.directory
    assert (resolved.directory / "survey.jsonl").stat().st_mtime_ns == stamp


def test_synthetic_truth_gets_its_own_directory_and_revision(
    options, shared_data_dir: Path
) -> None:
    resolved = resolve_source("synthetic", replace(options, synthetic_truth="recovery"))
    assert resolved.directory == shared_data_dir / "synthetic" / "small-seed0-truth-recovery"
    assert resolved.dataset_revision == "synthetic:small:seed=0:truth=recovery"
    planted = json.loads((resolved.directory / "truth.json").read_text())
    assert planted["preset"] == "recovery"


def test_synthetic_truth_must_name_a_preset_or_a_file(options) -> None:
    with pytest.raises(ValueError, match="PRISM_SYNTHETIC_TRUTH='optimistic'") as error:
        resolve_source("synthetic", replace(options, synthetic_truth="optimistic"))
    # The generator's own preset names, not a copy of them.
    assert str(PRESETS) in str(error.value)


def test_synthetic_scale_must_be_known(options) -> None:
    with pytest.raises(ValueError, match="PRISM_SYNTHETIC_SCALE='huge'"):
        resolve_source("synthetic", replace(options, synthetic_scale="huge"))


def test_auto_falls_back_to_synthetic_loudly(options, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.warns(SyntheticFallbackWarning, match="SYNTHETIC data"):
        resolved = resolve_source("auto", options)
    assert resolved.dataset_source == "synthetic"
    assert "Hugging Face unreachable" in resolved.description
    assert "NOT the published PRISM" in caplog.text


def test_auto_downloads_when_reachable_then_uses_the_verified_cache(options, hub: FakeHub) -> None:
    options = replace(options, hub=Hub(hub.url, "main"))
    resolved = resolve_source("", options)
    assert (resolved.dataset_source, resolved.dataset_revision) == ("prism", hub.commit)
    assert sorted(p.name for p in resolved.directory.iterdir()) == sorted(FILENAMES)
    requests = len(hub.requests)
    again = resolve_source("auto", options)
    assert again.directory == resolved.directory
    assert len(hub.requests) == requests


def test_huggingface_when_unreachable_raises(options, monkeypatch: pytest.MonkeyPatch) -> None:
    one_attempt = functools.partial(source_module.download_prism, attempts=1)
    monkeypatch.setattr(source_module, "download_prism", one_attempt)
    with pytest.raises(PrismDownloadError, match="PRISM_SOURCE=synthetic"):
        resolve_source("huggingface", options)
