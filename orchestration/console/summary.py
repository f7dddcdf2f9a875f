"""The closing summary of `make run`, read from the DuckDB file once the run has let go of it.

It answers what a person asks after a run: did the fits converge, how do the estimates compare
with the paper, and what to open next.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from rich.markup import escape

TABLES = (
    ("analysis.paper_comparison", "every estimate beside the paper's"),
    ("analysis.hypotheses", "each hypothesis: probability, evidence ratio"),
    ("analysis.fit_diagnostics", "each fit's convergence checks"),
    ("analysis.posterior_summary", "every term of every fit"),
    ("analysis.posterior_predictive", "each fit's posterior predictive checks"),
    ("analysis.beyond_paper_comparison", "1a's conclusions beside the choice model's"),
    ("analysis.model_comparison", "PSIS-LOO of models predicting the same outcome"),
    # PRISM's case studies (the rest are listed by `make case-studies`).
    ("analysis.model_rankings", "the LLMs ranked overall and within groups"),
    ("analysis.jury_welfare", "welfare of the model each jury picks"),
    ("analysis.topic_prevalence", "who opens which topic: shares, LPM estimates"),
)


# Past this many failing fits the summary names the first few and points to the table.
FAILING_SHOWN = 5


@dataclass(frozen=True)
class FitChecks:
    passed: int
    reported: int
    failing: tuple[str, ...]
    profiles: tuple[str, ...] = ()  # the sampling profiles the fits ran under


@dataclass(frozen=True)
class PaperAgreement:
    terms: int
    same_sign: int
    with_interval: int  # terms for which the paper gives an interval
    within_interval: int  # of those, terms whose estimate lies inside it


@dataclass(frozen=True)
class RunSummary:
    fits: FitChecks | None
    paper: PaperAgreement | None
    dataset_source: str | None
    figures: tuple[Path, ...]


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def _fit_checks(con: duckdb.DuckDBPyConnection) -> tuple[FitChecks, str | None]:
    frame = con.execute("select * from analysis.fit_diagnostics order by analysis, subset").df()
    failing = tuple(
        f"{row.analysis} / {row.subset}" for row in frame.itertuples() if not row.passed
    )
    sources = sorted({str(s) for s in frame.get("dataset_source", []) if s is not None})
    profiles = tuple(sorted({str(p) for p in frame.get("profile", []) if p is not None}))
    checks = FitChecks(len(frame) - len(failing), len(frame), failing, profiles)
    return checks, ", ".join(sources) or None


def _paper_agreement(con: duckdb.DuckDBPyConnection) -> PaperAgreement:
    terms, same_sign, with_interval, within = con.execute(
        """
        select
          count(*),
          count(*) filter (where sign(estimate) = sign(paper_estimate)),
          count(*) filter (where paper_ci_lower is not null and paper_ci_upper is not null),
          count(*) filter (where estimate between paper_ci_lower and paper_ci_upper)
        from analysis.paper_comparison
        """
    ).fetchone() or (0, 0, 0, 0)
    return PaperAgreement(int(terms), int(same_sign), int(with_interval), int(within))


def read_summary(warehouse: Path, figures_dir: Path) -> RunSummary:
    """What the run left behind; parts the run did not reach are None."""
    fits = paper = source = None
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            if _has_table(con, "analysis", "fit_diagnostics"):
                fits, source = _fit_checks(con)
            if _has_table(con, "analysis", "paper_comparison"):
                paper = _paper_agreement(con)
    figures = tuple(sorted(figures_dir.glob("*.png"))) if figures_dir.is_dir() else ()
    return RunSummary(fits, paper, source, figures)


def summary_lines(
    summary: RunSummary, *, planned_fits: int, warehouse: Path, log_path: Path
) -> list[str]:
    """The summary as lines of rich markup (plain text where the output is not a terminal)."""
    lines: list[str] = []
    if summary.fits is not None:
        checks = summary.fits
        verdict = f"[bold]{checks.passed} of {planned_fits}[/] fits pass their convergence checks"
        if checks.reported < planned_fits:
            verdict += f" ({planned_fits - checks.reported} produced no result)"
        lines.append(verdict)
        if checks.failing:
            shown = ", ".join(checks.failing[:FAILING_SHOWN])
            more = len(checks.failing) - FAILING_SHOWN
            tail = f" and {more} more (analysis.fit_diagnostics)" if more > 0 else ""
            lines.append(f"  failing: {escape(shown)}{tail}")
        if "quick" in checks.profiles:
            lines.append(
                "  (the quick profile's short chains are for a look at the pipeline; "
                "they are not expected to pass)"
            )
    if summary.paper is not None and summary.paper.terms:
        p = summary.paper
        lines.append(
            f"Against the paper: [bold]{p.same_sign} of {p.terms}[/] terms agree in sign; "
            f"[bold]{p.within_interval} of {p.with_interval}[/] lie within the paper's interval"
        )
    if summary.dataset_source and "synthetic" in summary.dataset_source:
        lines.append(
            "[yellow]The fits read SYNTHETIC data (dataset_source = "
            f"'{summary.dataset_source}'): these are not PRISM's estimates.[/]"
        )
    lines.append(f"Tables in {escape(str(warehouse))} (open it read-only):")
    lines.extend(f"  {name:<28} {what}" for name, what in TABLES)
    if summary.figures:
        lines.append(f"Plots in {escape(str(summary.figures[0].parent))}:")
        lines.extend(f"  {escape(figure.name)}" for figure in summary.figures)
    lines.append("Lineage, every fit's metadata and plots: [bold]make ui[/]")
    lines.append(f"Full log: {escape(str(log_path))}")
    return lines


# Each line fits 80 columns, the width rich assumes when the output is not a terminal.
CASE_STUDY_TABLES = (
    ("analysis.model_rankings", "the LLMs ranked overall and within groups"),
    ("analysis.ranking_diagnostics", "each Bradley-Terry fit's convergence checks"),
    ("analysis.preference_variance", "preference variance: people, groups, contexts"),
    ("analysis.jury_welfare", "welfare of the model each jury picks"),
    ("marts.fct_conversation_topics", "each conversation's opening-prompt topic"),
    ("analysis.topic_summary", "topics of opening prompts: words, examples"),
    ("analysis.topic_prevalence", "who opens which topic: shares, LPM estimates"),
    ("analysis.topic_regressions", "the LPMs per topic (clustered, HC1 errors)"),
)


def case_study_lines(*, warehouse: Path, plots_dir: Path, log_path: Path) -> list[str]:
    """What `make case-studies` leaves behind, as lines of rich markup."""
    lines = [f"Tables in {escape(str(warehouse))} (open it read-only):"]
    lines.extend(f"  {name:<30} {what}" for name, what in CASE_STUDY_TABLES)
    plots = sorted(plots_dir.glob("*.png")) if plots_dir.is_dir() else []
    if plots:
        lines.append(f"Plots in {escape(str(plots_dir))}:")
        lines.extend(f"  {escape(plot.name)}" for plot in plots)
    lines.append("Lineage, every asset's metadata and plots: [bold]make ui[/]")
    lines.append(f"Full log: {escape(str(log_path))}")
    return lines
