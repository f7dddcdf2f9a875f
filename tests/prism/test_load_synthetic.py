"""The generated small PRISM loads without a reject, plain or gzipped, with the published types."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb

from orchestration.prism.files import FILE_SPECS
from orchestration.prism.lines import fingerprint
from orchestration.prism.load import load_prism_directory


def _line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n")


def test_small_synthetic_loads_clean(con: duckdb.DuckDBPyConnection, small_prism_dir: Path) -> None:
    reports = load_prism_directory(con, small_prism_dir, "synthetic", "synthetic:small:seed=0")
    for kind, report in reports.items():
        lines = _line_count(small_prism_dir / FILE_SPECS[kind].filename)
        assert (report.lines_read, report.rows_loaded, report.rows_rejected) == (lines, lines, 0)
        assert report.reject_reasons == {}
        assert report.notes == ()
        assert len(report.preview) == 5
    # Every model entry of a conversation is one utterance row.
    (entries,) = con.execute(
        "SELECT count(*) FROM (SELECT unnest(conversation_history) AS e "
        "FROM raw.prism_conversations) WHERE e.role = 'model'"
    ).fetchone()
    assert entries == reports["utterances"].rows_loaded
    (manual_flags,) = con.execute(
        "SELECT count(*) FROM raw.prism_metadata WHERE pii_manual_flag IS NOT NULL"
    ).fetchone()
    (pii,) = con.execute(
        "SELECT count(*) FROM raw.prism_metadata WHERE pii_flag AND column_id <> 'model_response'"
    ).fetchone()
    assert manual_flags == pii


def test_gzip_copy_has_the_same_fingerprint_and_rows(
    con: duckdb.DuckDBPyConnection, small_prism_dir: Path, tmp_path: Path
) -> None:
    plain = load_prism_directory(con, small_prism_dir, "synthetic", "s")
    gz_dir = tmp_path / "gz"
    gz_dir.mkdir()
    for spec in FILE_SPECS.values():
        with (
            (small_prism_dir / spec.filename).open("rb") as src,
            gzip.open(gz_dir / f"{spec.filename}.gz", "wb") as dst,
        ):
            shutil.copyfileobj(src, dst)
        assert fingerprint(gz_dir / f"{spec.filename}.gz") == plain[spec.kind].fingerprint
    # Same bytes, source and revision: the gzip copy is recognised as already loaded.
    again = load_prism_directory(con, gz_dir, "synthetic", "s")
    assert all(r.skipped for r in again.values())
    forced = load_prism_directory(con, gz_dir, "synthetic", "s", force=True)
    assert {k: r.rows_loaded for k, r in forced.items()} == {
        k: r.rows_loaded for k, r in plain.items()
    }
