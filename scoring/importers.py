"""Import attribute scores produced elsewhere into ``raw.text_scores`` as ``imported:<name>``.

Accepted files: CSV, Parquet or JSON Lines, keyed by ``text_hash`` or by ``text`` (hashed here
with the project's rule; when both are present they must agree), in either shape:

- wide: one column per attribute (``TOXICITY``, ``REASONING_EXPERIMENTAL``...), one row per text;
- long: columns ``attribute`` and ``value``, one row per text and attribute.

A blank cell (empty string, null, NaN) means "not scored" and is simply not loaded. A row with
anything wrong (malformed hash, unknown attribute, a value that is not a number in [0, 1], a
duplicate key) is rejected as a whole into ``raw.score_import_rejects`` with its 1-based data row
number and every reason; an unknown attribute column of a wide file is rejected once, as row 0
(the header). Every data row is either loaded or rejected. Re-importing a file changes nothing
unless its contents changed: ``scorer_version`` is the file's sha256, and rejects of a file are
replaced, not appended.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scoring.attributes import KNOWN_ATTRIBUTES
from scoring.store import SCORE_SCHEMA, RejectRow, ScoreStore, utcnow
from scoring.texts import text_hash as hash_text

SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl"}
SUFFIXES[".ndjson"] = "jsonl"
_HASH = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_KEY_COLUMNS = ("text_hash", "text")
_CHUNK_ROWS = 200_000


class ScoreImportError(ValueError):
    """The file as a whole cannot be imported (unreadable, no key column, unknown format)."""


@dataclass(frozen=True)
class ImportReport:
    """What one import did; ``rows_read == rows_loaded + rows_rejected``."""

    file: str
    scorer: str
    scorer_version: str
    shape: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    columns_rejected: int
    scores_in_file: int
    scores_changed: int
    blank_cells: int


def _file_format(path: Path) -> str:
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise ScoreImportError(
            f"{path}: unsupported file type {path.suffix!r}; use one of {sorted(SUFFIXES)}"
        ) from None


def _rows(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, object] | str]]:
    """``(row_number, row)`` per data row; a string instead of a row says why it is unreadable."""
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            for number, cells in enumerate(reader, start=1):
                if len(cells) != len(header):
                    yield number, f"expected {len(header)} fields, found {len(cells)}"
                else:
                    yield number, dict(zip(header, cells, strict=True))
    elif fmt == "parquet":
        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=50_000):
            for row in batch.to_pylist():
                number += 1
                yield number, row
    else:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    yield number, f"invalid JSON: {exc}"
                    continue
                yield number, row if isinstance(row, dict) else "line is not a JSON object"


def _columns(path: Path, fmt: str) -> list[str]:
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    if fmt == "parquet":
        return list(pq.read_schema(path).names)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                first = json.loads(line)
            except ValueError:
                continue
            if isinstance(first, dict):
                return list(first)
    return []


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _score(value: object, attribute: str) -> tuple[float | None, str | None]:
    """The value as a float in [0, 1], or why it is not one."""
    if isinstance(value, bool):
        return None, f"{attribute}: {value!r} is not a number"
    try:
        number = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None, f"{attribute}: {value!r} is not a number"
    if not (math.isfinite(number) and 0.0 <= number <= 1.0):
        return None, f"{attribute}: {number!r} is outside [0, 1]"
    return number, None


def _key(row: dict[str, object]) -> tuple[str | None, str | None]:
    """The row's text hash, or why it has none."""
    given = row.get("text_hash")
    text = row.get("text")
    computed = hash_text(text) if isinstance(text, str) and "text" in row else None
    if "text_hash" not in row:
        return (computed, None) if computed else (None, "text is missing or not a string")
    if not isinstance(given, str) or not _HASH.match(given.strip().lower()):
        return None, f"text_hash {given!r} is not 64 hex characters"
    normalised = given.strip().lower()
    if computed is not None and computed != normalised:
        return None, f"text_hash {normalised} does not match sha256 of text ({computed})"
    return normalised, None


def import_scores(
    store: ScoreStore,
    path: str | Path,
    name: str,
    *,
    policy: str = "none",
) -> ImportReport:
    """Import one score file as scorer ``imported:<name>``; see the module docstring."""
    if not _NAME.match(name):
        raise ScoreImportError(f"import name {name!r} must match {_NAME.pattern}")
    path = Path(path).resolve()
    fmt = _file_format(path)
    if not path.is_file():
        raise ScoreImportError(f"{path}: no such file")
    scorer = f"imported:{name}"
    version = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    columns = _columns(path, fmt)
    if not any(c in columns for c in _KEY_COLUMNS):
        raise ScoreImportError(f"{path}: needs a 'text_hash' or 'text' column, found {columns}")
    long_form = "attribute" in columns and "value" in columns
    rejects: list[RejectRow] = []
    wide_columns: dict[str, str] = {}
    if not long_form:
        for column in columns:
            if column in _KEY_COLUMNS:
                continue
            if column.upper() in KNOWN_ATTRIBUTES:
                wide_columns[column] = column.upper()
            else:
                rejects.append(
                    RejectRow(
                        str(path),
                        0,
                        f"unknown attribute column {column!r}; column ignored",
                        json.dumps(columns),
                        scorer,
                    )
                )
    columns_rejected = len(rejects)

    seen: dict[tuple[str, str], int] = {}
    hashes: list[str] = []
    attributes: list[str] = []
    values: list[float] = []
    rows_read = rows_rejected = blank = changed = scores_total = 0

    def flush() -> None:
        nonlocal changed, scores_total
        if not hashes:
            return
        n = len(hashes)
        now = utcnow()
        table = pa.Table.from_arrays(
            [
                pa.array(hashes, pa.string()),
                pa.array(attributes, pa.string()),
                pa.array(values, pa.float64()),
                pa.array([scorer] * n, pa.string()),
                pa.array([version] * n, pa.string()),
                pa.nulls(n, pa.list_(pa.string())),
                pa.array([now] * n, pa.timestamp("us")),
                pa.array([policy] * n, pa.string()),
            ],
            schema=SCORE_SCHEMA,
        )
        changed += store.upsert_imported(table)
        scores_total += n
        hashes.clear()
        attributes.clear()
        values.clear()

    for number, row in _rows(path, fmt):
        rows_read += 1
        if isinstance(row, str):
            rejects.append(RejectRow(str(path), number, row, "", scorer))
            rows_rejected += 1
            continue
        problems: list[str] = []
        key, key_problem = _key(row)
        if key_problem:
            problems.append(key_problem)
        if long_form:
            cells = [(row.get("attribute"), row.get("value"))]
        else:
            cells = [(wide_columns[c], row.get(c)) for c in wide_columns]
        parsed: list[tuple[str, float]] = []
        row_blanks = 0
        for attribute, raw in cells:
            if long_form and (not isinstance(attribute, str) or attribute not in KNOWN_ATTRIBUTES):
                problems.append(f"unknown attribute {attribute!r}")
                continue
            assert isinstance(attribute, str)
            if _is_blank(raw):
                row_blanks += 1
                continue
            value, problem = _score(raw, attribute)
            if problem:
                problems.append(problem)
            elif value is not None and key is not None:
                first = seen.get((key, attribute))
                if first is not None:
                    problems.append(f"duplicate {attribute} score for {key} (first in row {first})")
                else:
                    parsed.append((attribute, value))
        if problems:
            raw_row = json.dumps(row, default=str, ensure_ascii=False)
            rejects.append(RejectRow(str(path), number, "; ".join(problems), raw_row, scorer))
            rows_rejected += 1
            continue
        assert key is not None
        blank += row_blanks
        for attribute, value in parsed:
            seen[(key, attribute)] = number
            hashes.append(key)
            attributes.append(attribute)
            values.append(value)
        if len(hashes) >= _CHUNK_ROWS:
            flush()
    flush()
    store.replace_rejects(str(path), scorer, rejects)
    return ImportReport(
        file=str(path),
        scorer=scorer,
        scorer_version=version,
        shape="long" if long_form else "wide",
        rows_read=rows_read,
        rows_loaded=rows_read - rows_rejected,
        rows_rejected=rows_rejected,
        columns_rejected=columns_rejected,
        scores_in_file=scores_total,
        scores_changed=changed,
        blank_cells=blank,
    )


def score_files(directory: str | Path) -> list[Path]:
    """The importable files directly inside ``directory``, in name order."""
    return sorted(
        p for p in Path(directory).iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
    )
