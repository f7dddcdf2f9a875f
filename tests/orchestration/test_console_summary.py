"""The closing summary of `make run`, read from a small DuckDB file built here."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.console.summary import (
    CASE_STUDY_TABLES,
    FitChecks,
    PaperAgreement,
    RunSummary,
    case_study_lines,
    read_summary,
    summary_lines,
)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema analysis")
        con.execute(
            """
            create table analysis.fit_diagnostics as select * from (values
              ('top_scored', 'all', true, 'synthetic', 'default'),
              ('top_scored', 'unguided', false, 'synthetic', 'default'),
              ('log_score', 'all', true, 'synthetic', 'default')
            ) as t(analysis, subset, passed, dataset_source, profile)
            """
        )
        # Four terms: three agree in sign; two lie inside the paper's interval, and one term
        # has no published interval at all.
        con.execute(
            """
            create table analysis.paper_comparison as select * from (values
              (0.30, 0.25, 0.10, 0.40),
              (-0.20, -0.10, -0.30, 0.05),
              (0.05, -0.40, -0.60, -0.20),
              (0.50, 0.10, null, null)
            ) as t(estimate, paper_estimate, paper_ci_lower, paper_ci_upper)
            """
        )
    return path


def test_reads_fit_verdicts_paper_agreement_and_figures(warehouse: Path, tmp_path: Path) -> None:
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "figure_1b.png").write_bytes(b"png")
    (figures / "figure_1a.png").write_bytes(b"png")
    (figures / "notes.txt").write_text("not a plot")

    summary = read_summary(warehouse, figures)

    assert summary.fits == FitChecks(
        passed=2, reported=3, failing=("top_scored / unguided",), profiles=("default",)
    )
    assert summary.paper == PaperAgreement(terms=4, same_sign=3, with_interval=3, within_interval=2)
    assert summary.dataset_source == "synthetic"
    assert [f.name for f in summary.figures] == ["figure_1a.png", "figure_1b.png"]


def test_the_summary_read_only_leaves_the_file_unlocked_for_a_writer(warehouse: Path) -> None:
    read_summary(warehouse, warehouse.parent / "absent")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table analysis.after as select 1")


def test_a_warehouse_without_analysis_tables_gives_an_empty_summary(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert read_summary(empty, tmp_path) == RunSummary(None, None, None, ())
    assert read_summary(tmp_path / "absent.duckdb", tmp_path) == RunSummary(None, None, None, ())


def test_lines_name_the_counts_the_failures_and_where_to_look(tmp_path: Path) -> None:
    summary = RunSummary(
        fits=FitChecks(passed=12, reported=16, failing=("mirroring / response_toxicity",)),
        paper=PaperAgreement(terms=52, same_sign=45, with_interval=50, within_interval=31),
        dataset_source="synthetic",
        figures=(tmp_path / "figures" / "figure_1.png",),
    )
    lines = summary_lines(
        summary,
        planned_fits=17,
        warehouse=tmp_path / "warehouse.duckdb",
        log_path=tmp_path / "logs" / "run-1.log",
    )
    text = "\n".join(lines)
    assert "[bold]12 of 17[/] fits pass their convergence checks (1 produced no result)" in text
    assert "failing: mirroring / response_toxicity" in text
    assert "[bold]45 of 52[/] terms agree in sign" in text
    assert "[bold]31 of 50[/] lie within the paper's interval" in text
    assert "SYNTHETIC" in text
    assert "analysis.paper_comparison" in text
    assert "analysis.model_rankings" in text  # the case studies run in the same job
    assert all(len(line) <= 80 for line in lines if line.startswith("  analysis."))
    assert "figure_1.png" in text
    assert "make ui" in text
    assert lines[-1] == f"Full log: {tmp_path / 'logs' / 'run-1.log'}"
    assert "quick profile" not in text


def test_a_long_list_of_failing_fits_is_cut_and_a_quick_profile_is_explained(
    tmp_path: Path,
) -> None:
    failing = tuple(f"mirroring / response_{i}" for i in range(7))
    summary = RunSummary(
        fits=FitChecks(passed=10, reported=17, failing=failing, profiles=("quick",)),
        paper=None,
        dataset_source="huggingface",
        figures=(),
    )
    text = "\n".join(
        summary_lines(
            summary, planned_fits=17, warehouse=tmp_path / "w.duckdb", log_path=tmp_path / "l"
        )
    )
    assert "response_4 and 2 more (analysis.fit_diagnostics)" in text
    assert "response_5" not in text
    assert "quick profile" in text
    assert "SYNTHETIC" not in text
    assert "(1 produced no result)" not in text


def test_case_study_lines_name_every_table_and_plot(tmp_path: Path) -> None:
    (tmp_path / "topic_regressions.png").write_bytes(b"png")
    lines = case_study_lines(
        warehouse=tmp_path / "w.duckdb", plots_dir=tmp_path, log_path=tmp_path / "run.log"
    )
    text = "\n".join(lines)
    for table, _ in CASE_STUDY_TABLES:
        assert table in text
    assert "  topic_regressions.png" in lines
    # Rich wraps at 80 columns where the output is not a terminal (make's log, CI).
    assert all(len(line) <= 80 for line in lines if line.startswith("  analysis."))
