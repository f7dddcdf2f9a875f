"""Full-scale synthetic PRISM: exact row counts, and damaged copies that lose nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.prism.files import FILE_SPECS
from orchestration.prism.load import load_prism_directory
from orchestration.synthetic import generate

pytestmark = pytest.mark.slow

FULL_ROWS = {"survey": 1_500, "conversations": 8_011, "utterances": 68_371, "metadata": 106_554}


@pytest.fixture(scope="module")
def full_prism_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prism_full")
    generate(out, scale="full", seed=0)
    return out


def _table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        kind: con.execute(f"select count(*) from {spec.table}").fetchone()[0]
        for kind, spec in FILE_SPECS.items()
    }


def test_full_scale_loads_every_row(full_prism_dir: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        reports = load_prism_directory(con, full_prism_dir, "synthetic", "synthetic:full:seed=0")
        assert _table_counts(con) == FULL_ROWS
        assert con.execute("select count(*) from raw.prism_rejects").fetchone()[0] == 0
    assert {kind: r.lines_read for kind, r in reports.items()} == FULL_ROWS


def _damage(source: Path, target: Path) -> dict[tuple[str, int], str]:
    """Copy the four files, damaging a few lines of each; return (file, line) -> reason fragment."""
    expected: dict[tuple[str, int], str] = {}
    for spec in FILE_SPECS.values():
        lines = (source / spec.filename).read_text().splitlines()
        # Far apart, so that no damaged line is the parent of another damaged line.
        first, middle, last = 2, len(lines) // 2, len(lines) - 1
        lines[first - 1] = lines[first - 1][: len(lines[first - 1]) // 2]
        expected[(spec.filename, first)] = "malformed JSON"
        row = json.loads(lines[middle - 1])
        id_key = spec.id_columns[0]
        row[id_key] = 12345
        lines[middle - 1] = json.dumps(row)
        expected[(spec.filename, middle)] = f"wrong type for `{id_key}`"
        lines[last - 1] = lines[0]
        expected[(spec.filename, last)] = "duplicate"
        (target / spec.filename).write_text("\n".join(lines) + "\n")
    return expected


def test_damaged_full_scale_copy_rejects_each_damaged_line(
    full_prism_dir: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    expected = _damage(full_prism_dir, damaged)
    shutil.copy(full_prism_dir / "MANIFEST.json", damaged / "MANIFEST.json")

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        reports = load_prism_directory(con, damaged, "synthetic", "synthetic:full:damaged")
        rejects = con.execute(
            "select file, line_number, reason from raw.prism_rejects order by file, line_number"
        ).fetchall()
        counts = _table_counts(con)

    by_line = {(file, line): reason for file, line, reason in rejects}
    for position, fragment in expected.items():
        assert position in by_line, f"{position} was not rejected"
        assert fragment in by_line[position], (position, by_line[position])
    # Lines read = loaded + rejected for every file, and nothing beyond the damage (and the
    # rows whose parent was damaged, rejected as orphans) is lost.
    for kind, report in reports.items():
        spec = FILE_SPECS[kind]
        rejected_here = sum(1 for file, _ in by_line if file == spec.filename)
        assert report.lines_read == FULL_ROWS[kind]
        assert report.lines_read == counts[kind] + rejected_here
        assert report.rows_rejected == rejected_here
    extra = {pos: reason for pos, reason in by_line.items() if pos not in expected}
    assert all(reason.startswith("orphan") for reason in extra.values()), extra
