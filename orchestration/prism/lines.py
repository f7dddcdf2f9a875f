"""Reading a JSONL file (plain or gzip) into numbered lines and its fingerprint.

Python does only what DuckDB's readers cannot: decompress, hash the decompressed bytes, keep the
1-based line number of every line (blank ones included) and survive bytes that are not UTF-8.
All JSON parsing happens in DuckDB.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

GZIP_MAGIC = b"\x1f\x8b"
BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True)
class NumberedLines:
    """The lines of one file: ``table`` has ``line_number``, ``line`` and ``pre_reason`` (a reject
    reason found before any parsing, such as invalid UTF-8)."""

    fingerprint: str
    table: pa.Table

    @property
    def count(self) -> int:
        return self.table.num_rows


def read_bytes(path: Path) -> bytes:
    """The decompressed content of ``path``; gzip is recognised by its magic bytes, not its name."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == GZIP_MAGIC
    if compressed:
        try:
            with gzip.open(path, "rb") as handle:
                return handle.read()
        except (OSError, EOFError) as error:
            raise ValueError(f"{path}: not a readable gzip file ({error})") from error
    return path.read_bytes()


def fingerprint(path: Path) -> str:
    """sha256 of the decompressed bytes, so a file and its gzip copy share a fingerprint."""
    return hashlib.sha256(read_bytes(path)).hexdigest()


def _split(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    # A final newline ends the last line rather than starting an empty one.
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def read_numbered_lines(path: Path) -> NumberedLines:
    """Every line of ``path`` with its 1-based number; undecodable lines carry a pre_reason."""
    data = read_bytes(path)
    raw_lines = _split(data)
    lines: list[str] = []
    pre_reasons: list[str | None] = []
    try:
        lines = data.decode("utf-8").split("\n")[: len(raw_lines)]
        pre_reasons = [None] * len(lines)
    except UnicodeDecodeError:
        for raw in raw_lines:
            try:
                lines.append(raw.decode("utf-8"))
                pre_reasons.append(None)
            except UnicodeDecodeError as error:
                lines.append(raw.decode("utf-8", errors="replace"))
                pre_reasons.append(f"invalid UTF-8 at byte {error.start + 1} of the line")
    if lines and lines[0].startswith(BYTE_ORDER_MARK):
        # Editors on Windows prepend a BOM; it is not part of the first JSON object.
        lines[0] = lines[0][len(BYTE_ORDER_MARK) :]
    table = pa.table(
        {
            "line_number": pa.array(range(1, len(lines) + 1), pa.int64()),
            "line": pa.array(lines, pa.large_string()),
            "pre_reason": pa.array(pre_reasons, pa.string()),
        }
    )
    return NumberedLines(hashlib.sha256(data).hexdigest(), table)
