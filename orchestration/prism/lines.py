"""Reading a JSONL file (plain or gzip) into numbered lines and its fingerprint.

Python does only what DuckDB's readers cannot: decompress by magic bytes, hash the decompressed
bytes, keep the 1-based line number of every line (blank ones included), survive bytes that are
not UTF-8, and refuse a file that is not JSON lines at all. Splitting and UTF-8 validation run in
Arrow's C++ kernels, so no Python code touches a line of a well-formed file; all JSON parsing
happens in DuckDB.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from orchestration.prism.refusal import RefusedFile

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
NEWLINE = ord("\n")
# DuckDB scans the chunks of a registered table in parallel, a chunk to a thread, so a chunk
# holds at most this many lines and, in a file of long lines (a conversation is 7.5 kB), about
# this many bytes: the 8,011 conversations in one chunk would be parsed on one core.
CHUNK_LINES = 8192
CHUNK_BYTES = 4 * 1024 * 1024
# A file is cut into chunks of equal size, at least one per core (DuckDB's default thread count):
# the survey's 5 MB in chunks of up to 4 MiB was 1,240 lines and 260, most of it on one core.
MIN_CHUNKS = os.cpu_count() or 1
# Byte order marks of the encodings a file is most often re-saved in by mistake.
FOREIGN_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32 (little-endian)",
    b"\x00\x00\xfe\xff": "UTF-32 (big-endian)",
    b"\xff\xfe": "UTF-16 (little-endian)",
    b"\xfe\xff": "UTF-16 (big-endian)",
}
# JSON text never holds a raw NUL byte (strings escape control characters), while ASCII written
# as UTF-16 or UTF-32 has one in every other or every fourth byte; this much of a head decides.
ENCODING_SNIFF_BYTES = 4096


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


def refuse_unreadable(path: Path, data: bytes) -> None:
    """Raise ``RefusedFile`` when ``data`` (BOM included) cannot be JSON lines as a whole."""
    for bom, encoding in FOREIGN_BOMS.items():
        if data.startswith(bom):
            raise RefusedFile(path, f"the file is encoded as {encoding}, not UTF-8")
    body = data.removeprefix(UTF8_BOM)
    if not body:
        raise RefusedFile(path, "the file is empty (0 bytes)")
    # isspace and a regex stop at the first non-blank byte; strip() would copy the whole file.
    if body.isspace():
        raise RefusedFile(path, "the file holds only blank lines")
    if b"\x00" in body[:ENCODING_SNIFF_BYTES]:
        raise RefusedFile(
            path, "the file holds NUL bytes: it is not UTF-8 text (UTF-16, UTF-32 or binary?)"
        )
    if re.match(rb"\s*\[", body):
        raise RefusedFile(
            path, "the file is one JSON array, not JSON lines (one JSON object per line)"
        )


def _split(body: bytes) -> pa.Array:
    """The lines of ``body`` as Arrow binaries over ``body``'s own buffer.

    Each line keeps its terminating newline: the offsets are where the newlines are, so nothing
    is copied, and JSON parsing ignores the trailing whitespace (``raw_line`` drops it).
    """
    data = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(data == NEWLINE) + 1
    if not body.endswith(b"\n"):
        ends = np.append(ends, len(body))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    lines = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(body)]
    )
    return lines


def read_numbered_lines(path: Path) -> NumberedLines:
    """Every line of ``path`` with its 1-based number; undecodable lines carry a pre_reason.

    Raises ``RefusedFile`` for a file that is empty, blank, in another encoding, one JSON array,
    or whose every line is undecodable.
    """
    data = read_bytes(path)
    refuse_unreadable(path, data)
    # Editors on Windows prepend a BOM; it is not part of the first JSON object.
    body = data.removeprefix(UTF8_BOM)
    raw_lines = _split(body)
    count = len(raw_lines)
    # The same buffers read as text, once validation has checked they are UTF-8: a cast would do
    # the same, but its first call in a process sets up Arrow's compute kernels (30 ms).
    lines = pa.Array.from_buffers(pa.large_string(), count, raw_lines.buffers())
    try:
        lines.validate(full=True)
        pre_reasons = pa.nulls(count, pa.string())
    except pa.ArrowInvalid:
        lines, pre_reasons = _decode_line_by_line(path, raw_lines)
    table = pa.Table.from_arrays(
        [_line_numbers(count), lines, pre_reasons],
        names=["line_number", "line", "pre_reason"],
    )
    return NumberedLines(hashlib.sha256(data).hexdigest(), _chunked(table, len(body)))


def _chunked(table: pa.Table, size: int) -> pa.Table:
    """``table`` sliced (without copying) into at least MIN_CHUNKS chunks of equal length, each
    of at most CHUNK_LINES lines, or fewer where the lines of ``size`` bytes in all are so long
    that a chunk would pass CHUNK_BYTES."""
    average = max(1, size // max(1, table.num_rows))
    most = max(1, min(CHUNK_LINES, CHUNK_BYTES // average))
    chunks = max(MIN_CHUNKS, math.ceil(table.num_rows / most))
    lines = max(1, math.ceil(table.num_rows / chunks))
    return pa.Table.from_batches(table.to_batches(max_chunksize=lines), table.schema)


def _line_numbers(count: int) -> pa.Array:
    # From the buffer: pa.array() on a NumPy array imports pandas, a quarter second per process.
    numbers = np.arange(1, count + 1, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), count, [None, pa.py_buffer(numbers)])


def _decode_line_by_line(path: Path, raw_lines: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Lines decoded one by one, the bad ones replaced and given a reason.

    Only files with invalid UTF-8 take this slow path; a file with no decodable line is refused.
    """
    lines: list[str] = []
    reasons: list[str | None] = []
    first_bad: tuple[int, int] | None = None
    for number, raw in enumerate(raw_lines.to_pylist(), start=1):
        try:
            lines.append(raw.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError as error:
            lines.append(raw.decode("utf-8", errors="replace"))
            reasons.append(f"invalid UTF-8 at byte {error.start + 1} of the line")
            first_bad = first_bad or (number, error.start + 1)
    if first_bad and all(
        r is not None or not line.strip() for r, line in zip(reasons, lines, strict=True)
    ):
        number, byte = first_bad
        raise RefusedFile(
            path,
            f"no line decodes as UTF-8 (the first bad byte is byte {byte} of line {number}); "
            "re-save the file as UTF-8",
        )
    return pa.array(lines, pa.large_string()), pa.array(reasons, pa.string())
