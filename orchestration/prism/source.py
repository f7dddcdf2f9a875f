"""Choosing where the four PRISM files come from: ``PRISM_SOURCE``.

``huggingface`` downloads the published release, ``synthetic`` generates a full-scale stand-in,
a directory path uses local files, and ``auto`` (the default) prefers Hugging Face and falls back
to synthetic data with a loud warning when it cannot be reached.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

from orchestration import settings
from orchestration.prism.download import (
    cached_download,
    download_prism,
    file_url,
    hf_base_url,
    hf_revision,
    probe_huggingface,
)
from orchestration.prism.files import FILENAMES, KINDS
from orchestration.prism.lines import fingerprint
from orchestration.prism.load import find_prism_file

log = logging.getLogger(__name__)

SYNTHETIC_SCALES = ("full", "small")
SYNTHETIC_SEED = 0
SYNTHETIC_PRESETS = ("paper", "recovery")  # as orchestration.synthetic.truth.PRESETS


class SyntheticFallbackWarning(UserWarning):
    """``PRISM_SOURCE=auto`` could not reach Hugging Face and used synthetic data instead."""


@dataclass(frozen=True)
class ResolvedSource:
    """A directory holding the four files, and the provenance every raw row will carry."""

    directory: Path
    dataset_source: str
    dataset_revision: str
    description: str


def resolve_source(setting: str | None = None) -> ResolvedSource:
    """Resolve ``setting`` (default ``PRISM_SOURCE``) to a directory of the four files."""
    choice = (setting if setting is not None else settings.prism_source()).strip() or "auto"
    if choice == "huggingface":
        return _huggingface()
    if choice == "synthetic":
        return _synthetic()
    if choice == "auto":
        return _auto()
    directory = Path(choice).expanduser()
    if not directory.is_dir():
        raise ValueError(
            f"PRISM_SOURCE={choice!r} is not 'auto', 'huggingface', 'synthetic' or an existing "
            "directory"
        )
    return _directory(directory.resolve())


def _huggingface() -> ResolvedSource:
    result = download_prism()
    return ResolvedSource(
        directory=result.directory,
        dataset_source="prism",
        dataset_revision=result.dataset_revision,
        description=f"Hugging Face HannahRoseKirk/prism-alignment at {result.dataset_revision}",
    )


def synthetic_scale() -> str:
    """``PRISM_SYNTHETIC_SCALE``: ``full`` (default, the published sizes) or ``small``."""
    scale = os.environ.get("PRISM_SYNTHETIC_SCALE", "full").strip() or "full"
    if scale not in SYNTHETIC_SCALES:
        raise ValueError(f"PRISM_SYNTHETIC_SCALE={scale!r}; expected one of {SYNTHETIC_SCALES}")
    return scale


def synthetic_truth() -> str:
    """``PRISM_SYNTHETIC_TRUTH``: the planted truth, ``paper`` (default), ``recovery`` or the
    path of a truth JSON (see docs/synthetic.md)."""
    truth = os.environ.get("PRISM_SYNTHETIC_TRUTH", "paper").strip() or "paper"
    if truth not in SYNTHETIC_PRESETS and not Path(truth).is_file():
        raise ValueError(
            f"PRISM_SYNTHETIC_TRUTH={truth!r}: expected one of {SYNTHETIC_PRESETS} or the path "
            "of a truth JSON file"
        )
    return truth


def _synthetic() -> ResolvedSource:
    scale = synthetic_scale()
    truth = synthetic_truth()
    # The paper preset keeps the historical names; any other truth gets its own directory.
    label = "" if truth == "paper" else f"-truth-{_truth_label(truth)}"
    directory = settings.data_dir() / "synthetic" / f"{scale}-seed{SYNTHETIC_SEED}{label}"
    if not all((directory / name).is_file() for name in FILENAMES):
        _generate(directory, scale, truth)
    revision = f"synthetic:{scale}:seed={SYNTHETIC_SEED}"
    if truth != "paper":
        revision += f":truth={_truth_label(truth)}"
    return ResolvedSource(
        directory=directory,
        dataset_source="synthetic",
        dataset_revision=revision,
        description=(
            f"synthetic PRISM ({scale} scale, seed {SYNTHETIC_SEED}, truth {truth}) in {directory}"
        ),
    )


def _truth_label(truth: str) -> str:
    if truth in SYNTHETIC_PRESETS:
        return truth
    # A truth file is named by its content, so an edited file never reuses old data.
    return hashlib.sha256(Path(truth).read_bytes()).hexdigest()[:12]


def _generate(directory: Path, scale: str, truth: str) -> None:
    # Imported here: generation pulls in numpy/pandas, which the other sources never need.
    from orchestration.synthetic import generate

    # Generate beside the target and rename, so an interrupted run never looks complete.
    staging = directory.with_name(directory.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    log.info("generating %s-scale synthetic PRISM into %s", scale, directory)
    generate(staging, scale=scale, seed=SYNTHETIC_SEED, truth=truth)
    shutil.rmtree(directory, ignore_errors=True)
    staging.rename(directory)


def _directory(directory: Path) -> ResolvedSource:
    paths = [find_prism_file(directory, kind) for kind in KINDS]
    digest = hashlib.sha256("".join(fingerprint(p) for p in paths).encode()).hexdigest()
    return ResolvedSource(
        directory=directory,
        dataset_source="prism",
        dataset_revision=f"dir:{digest}",
        description=f"PRISM files in {directory}",
    )


def _probe_timeout() -> float:
    return float(os.environ.get("PRISM_HF_PROBE_TIMEOUT", "5"))


def _auto() -> ResolvedSource:
    cached = cached_download(hf_revision())
    if cached is not None:
        return ResolvedSource(
            directory=cached.directory,
            dataset_source="prism",
            dataset_revision=cached.dataset_revision,
            description=f"cached Hugging Face download in {cached.directory} (verified)",
        )
    if probe_huggingface(timeout=_probe_timeout()):
        return _huggingface()
    resolved = _synthetic()
    url = file_url(hf_base_url(), hf_revision(), FILENAMES[0])
    message = (
        f"PRISM_SOURCE=auto: Hugging Face did not answer at {url}, so the warehouse is being "
        f"built from SYNTHETIC data ({resolved.directory}), NOT the published PRISM; results "
        "will not be the paper's. Set PRISM_SOURCE=huggingface to insist on the real data, or "
        "PRISM_SOURCE=<directory> to use a local copy of the four files."
    )
    warnings.warn(message, SyntheticFallbackWarning, stacklevel=3)
    log.warning(message)
    return ResolvedSource(
        directory=resolved.directory,
        dataset_source=resolved.dataset_source,
        dataset_revision=resolved.dataset_revision,
        description=f"{resolved.description} (fallback: Hugging Face unreachable)",
    )
