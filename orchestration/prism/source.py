"""Choosing where the four PRISM files come from: ``PRISM_SOURCE``.

``huggingface`` downloads the published release, ``synthetic`` generates a full-scale stand-in,
a directory path uses local files, and ``auto`` (the default) prefers Hugging Face and falls back
to synthetic data with a loud warning when it cannot be reached. Everything else the choice
depends on arrives as ``SourceOptions``, built from the environment by ``orchestration.resources``.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

from orchestration.prism.download import cached_download, download_prism
from orchestration.prism.files import FILENAMES, KINDS
from orchestration.prism.hub import HF_REPOSITORY, Hub, probe
from orchestration.prism.lines import fingerprint
from orchestration.prism.load import find_prism_file

log = logging.getLogger(__name__)

SYNTHETIC_SCALES = ("full", "small")
SYNTHETIC_SEED = 0


class SyntheticFallbackWarning(UserWarning):
    """``PRISM_SOURCE=auto`` could not reach Hugging Face and used synthetic data instead."""


@dataclass(frozen=True)
class SourceOptions:
    """What resolving a source depends on besides the choice itself."""

    data_dir: Path  # downloads go to <data_dir>/prism, generated data to <data_dir>/synthetic
    hub: Hub
    lock_path: Path
    probe_timeout: float  # seconds ``auto`` waits for Hugging Face before falling back
    synthetic_scale: str  # one of SYNTHETIC_SCALES
    synthetic_truth: str  # a preset of orchestration.synthetic.truth or a truth JSON path


@dataclass(frozen=True)
class ResolvedSource:
    """A directory holding the four files, and the provenance every raw row will carry."""

    directory: Path
    dataset_source: str
    dataset_revision: str
    description: str


def resolve_source(setting: str, options: SourceOptions) -> ResolvedSource:
    """Resolve ``setting`` (the value of ``PRISM_SOURCE``) to a directory of the four files."""
    choice = setting.strip() or "auto"
    if choice == "huggingface":
        return _huggingface(options)
    if choice == "synthetic":
        return _synthetic(options)
    if choice == "auto":
        return _auto(options)
    directory = Path(choice).expanduser()
    if not directory.is_dir():
        raise ValueError(
            f"PRISM_SOURCE={choice!r} is not 'auto', 'huggingface', 'synthetic' or an existing "
            "directory"
        )
    return _directory(directory.resolve())


def _download_directory(options: SourceOptions) -> Path:
    return options.data_dir / "prism"


def _huggingface(options: SourceOptions) -> ResolvedSource:
    result = download_prism(
        options.hub, dest=_download_directory(options), lock_path=options.lock_path
    )
    return ResolvedSource(
        directory=result.directory,
        dataset_source="prism",
        dataset_revision=result.dataset_revision,
        description=f"Hugging Face {HF_REPOSITORY} at {result.dataset_revision}",
    )


def _checked_scale(scale: str) -> str:
    if scale not in SYNTHETIC_SCALES:
        raise ValueError(f"PRISM_SYNTHETIC_SCALE={scale!r}; expected one of {SYNTHETIC_SCALES}")
    return scale


def _presets() -> tuple[str, ...]:
    # Imported here: the synthetic package pulls in numpy, pandas and scipy on import, which no
    # other source needs. The generator owns the preset names, so they are not restated here.
    from orchestration.synthetic.truth import PRESETS

    return PRESETS


def _checked_truth(truth: str) -> str:
    """A preset name (see docs/synthetic.md) or the path of a truth JSON."""
    if truth not in _presets() and not Path(truth).is_file():
        raise ValueError(
            f"PRISM_SYNTHETIC_TRUTH={truth!r}: expected one of {_presets()} or the path "
            "of a truth JSON file"
        )
    return truth


def _synthetic(options: SourceOptions) -> ResolvedSource:
    scale = _checked_scale(options.synthetic_scale)
    truth = _checked_truth(options.synthetic_truth)
    # The paper preset keeps the historical names; any other truth gets its own directory.
    label = "" if truth == "paper" else f"-truth-{_truth_label(truth)}"
    directory = options.data_dir / "synthetic" / f"{scale}-seed{SYNTHETIC_SEED}{label}"
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
    if truth in _presets():
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


def _auto(options: SourceOptions) -> ResolvedSource:
    hub = options.hub
    cached = cached_download(
        hub.revision, dest=_download_directory(options), lock_path=options.lock_path
    )
    if cached is not None:
        return ResolvedSource(
            directory=cached.directory,
            dataset_source="prism",
            dataset_revision=cached.dataset_revision,
            description=f"cached Hugging Face download in {cached.directory} (verified)",
        )
    if probe(hub, FILENAMES[0], timeout=options.probe_timeout):
        return _huggingface(options)
    resolved = _synthetic(options)
    url = hub.file_url(FILENAMES[0])
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
