"""Sensors that start ingestion when its inputs change: a new PRISM source, a new score file.

``prism_source_sensor`` compares the current PRISM source with the one it saw last (a local
directory's file sizes and modification times, or the Hugging Face commit behind the revision)
and asks for a run of group ``prism``; the question to Hugging Face is asked by the PRISM library
(``orchestration/prism/hub.py``), not here. ``score_file_sensor`` watches
``$PRISM_DATA_DIR/inbox/scores`` and asks for one ``raw/text_scores`` import run per new file.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import dagster as dg

from orchestration import resources, settings
from orchestration.assets import ingest
from orchestration.assets.scoring import SCORES_KEY, text_scores_run_config
from orchestration.prism.files import KINDS
from orchestration.prism.hub import revision_commit
from orchestration.prism.load import find_prism_file
from scoring.importers import SUFFIXES

# Well inside the time Dagster gives a sensor tick; a slow hub only delays the next check.
HF_TIMEOUT_SECONDS = 10.0
# A file modified this recently may still be being copied in; it is picked up on a later tick.
SETTLE_SECONDS = 5.0


def inbox_dir() -> Path:
    """Where score files are dropped for import: ``$PRISM_DATA_DIR/inbox/scores``."""
    return settings.data_dir() / "inbox" / "scores"


def directory_fingerprint(directory: Path) -> str:
    """sha256 over the four PRISM files' names, sizes and modification times.

    Size and mtime stand in for content: hashing 200 MB on every tick would make the sensor
    slower than the interval it runs at, and a replaced file changes its mtime.
    """
    parts = []
    for kind in KINDS:
        path = find_prism_file(directory, kind)
        stat = path.stat()
        parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _current_source(setting: str) -> tuple[str, str] | dg.SkipReason:
    """``(kind, identity)`` of the configured source, or why it cannot be identified now."""
    if setting == "synthetic":
        return dg.SkipReason("PRISM_SOURCE=synthetic: generated data never changes on its own.")
    if setting in ("huggingface", "auto"):
        try:
            return "huggingface", revision_commit(resources.hub(), HF_TIMEOUT_SECONDS)
        except LookupError as exc:
            return dg.SkipReason(f"Hugging Face revision lookup failed, will retry: {exc}")
    directory = Path(setting).expanduser()
    if not directory.is_dir():
        return dg.SkipReason(f"PRISM_SOURCE={setting!r} is not an existing directory.")
    try:
        return "directory", directory_fingerprint(directory.resolve())
    except (FileNotFoundError, ValueError) as exc:
        return dg.SkipReason(f"PRISM directory is not complete yet: {exc}")


@dg.sensor(
    name="prism_source_sensor",
    target=dg.AssetSelection.groups(ingest.GROUP),
    # Hourly: a new PRISM release is rare, and each tick may ask huggingface.co.
    minimum_interval_seconds=3600,
    # Stopped until turned on: a running sensor would reach out to the network unasked.
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Reloads the raw PRISM tables when the source changes: a new Hugging Face commit behind "
        "PRISM_HF_REVISION, or new files in a PRISM_SOURCE directory."
    ),
)
def prism_source_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Request a run of group ``prism`` when the PRISM source differs from the one last seen.

    The first tick has nothing to compare with, so it loads the source it finds; reloading an
    unchanged file costs one pass over it and changes no rows.
    """
    current = _current_source(settings.prism_source())
    if isinstance(current, dg.SkipReason):
        return current
    kind, identity = current
    cursor = f"{kind}:{identity}"
    if cursor == context.cursor:
        return dg.SkipReason(f"PRISM source unchanged ({cursor}).")
    request = dg.RunRequest(
        run_key=cursor,
        tags={"prism/source": kind, "prism/source_identity": identity},
    )
    return dg.SensorResult(run_requests=[request], cursor=cursor)


def _read_seen(cursor: str | None) -> dict[str, int]:
    if not cursor:
        return {}
    seen = json.loads(cursor)
    return {str(name): int(mtime) for name, mtime in seen.items()}


def import_run_config(path: Path) -> dict[str, object]:
    """Run config that imports ``path`` into ``raw.text_scores`` as ``imported:<file stem>``."""
    return text_scores_run_config(
        {"scorer": "imported", "path": str(path), "import_name": path.stem}
    )


@dg.sensor(
    name="score_file_sensor",
    target=dg.AssetSelection.assets(SCORES_KEY),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Imports each score file (CSV, Parquet, JSONL) dropped into $PRISM_DATA_DIR/inbox/scores "
        "into raw.text_scores as scorer imported:<file stem>."
    ),
)
def score_file_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """One import run per score file that is new or changed since the last tick.

    The cursor maps each file name to the mtime (ns) last imported; a file rewritten in place
    gets a new mtime and so a new run, whose run key keeps two ticks from importing it twice.
    """
    inbox = inbox_dir()
    inbox.mkdir(parents=True, exist_ok=True)
    seen = _read_seen(context.cursor)
    settled_before = time.time() - SETTLE_SECONDS
    current: dict[str, int] = {}
    requests: list[dg.RunRequest] = []
    for path in sorted(inbox.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.suffix.lower() not in SUFFIXES:
            continue
        stat = path.stat()
        if stat.st_mtime > settled_before:
            # Keep the previous mtime so the file is still new once it stops changing.
            if path.name in seen:
                current[path.name] = seen[path.name]
            continue
        current[path.name] = stat.st_mtime_ns
        if seen.get(path.name) == stat.st_mtime_ns:
            continue
        requests.append(
            dg.RunRequest(
                run_key=f"{path.name}:{stat.st_mtime_ns}",
                run_config=import_run_config(path.resolve()),
                tags={"prism/score_file": path.name},
            )
        )
    if not requests and current == seen:
        return dg.SkipReason(f"No new score files in {inbox}.")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(current, sort_keys=True))


SENSORS = [prism_source_sensor, score_file_sensor]
