"""Reading a file into numbered Arrow lines: chunks small enough to parse on every core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.prism import lines as lines_module
from orchestration.prism.lines import CHUNK_BYTES, read_numbered_lines


def test_long_lines_are_cut_into_chunks_by_bytes(tmp_path: Path) -> None:
    # 300 lines of ~100 kB: by lines alone they would be one chunk, parsed on one core.
    text = "".join(json.dumps({"n": i, "text": "x" * 100_000}) + "\n" for i in range(300))
    path = tmp_path / "long.jsonl"
    path.write_text(text)
    table = read_numbered_lines(path).table
    batches = table.to_batches()
    assert len(batches) >= len(text) // CHUNK_BYTES
    assert all(sum(len(v) for v in b.column(1).to_pylist()) <= 2 * CHUNK_BYTES for b in batches)
    # Numbers run on across chunk boundaries, one per line.
    assert table.column("line_number").to_pylist() == list(range(1, 301))
    assert table.column("line").to_pylist()[299].startswith('{"n": 299,')


def test_short_lines_are_cut_by_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_module, "CHUNK_LINES", 100)
    monkeypatch.setattr(lines_module, "MIN_CHUNKS", 2)
    path = tmp_path / "short.jsonl"
    path.write_text("".join(json.dumps({"n": i}) + "\n" for i in range(1050)))
    table = read_numbered_lines(path).table
    # Eleven chunks are needed; they share the lines equally, so no core gets a short one last.
    assert [b.num_rows for b in table.to_batches()] == [96] * 10 + [90]
    assert table.column("line_number").to_pylist() == list(range(1, 1051))


def test_a_small_file_is_cut_into_one_chunk_per_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 lines fit one chunk by lines and by bytes; on four cores they are parsed on all four.
    monkeypatch.setattr(lines_module, "MIN_CHUNKS", 4)
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps({"n": i}) + "\n" for i in range(40)))
    table = read_numbered_lines(path).table
    assert [b.num_rows for b in table.to_batches()] == [10] * 4
    assert table.column("line_number").to_pylist() == list(range(1, 41))
