"""Where each fit keeps its outputs, and gathering the fits of one snapshot into tables.

Every fit writes its summary, diagnostics and hypotheses as Parquet under its own directory;
the summary asset reads them back here, leaves out any fit sampled before the current snapshot
(so a table never mixes two versions of the marts), and adds the comparison with the paper.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from .beyond import beyond_paper_comparison
from .fit import FitResult
from .loo import LOO_COLUMNS, model_comparison
from .plots import coefficient_plot
from .specs import AnalysisSpec
from .summaries import compare_with_paper

FIT_TABLES: tuple[str, ...] = (
    "posterior_summary",
    "fit_diagnostics",
    "hypotheses",
    "posterior_predictive",
)
# Written by the fits whose program saves a pointwise log likelihood (the choice models).
LOO_TABLE = "loo_pointwise"
SUMMARY_TABLES: tuple[str, ...] = (
    *FIT_TABLES,
    "paper_comparison",
    "beyond_paper_comparison",
    "model_comparison",
)


@dataclass(frozen=True)
class FitFiles:
    """Where one fit keeps its outputs."""

    directory: Path

    @classmethod
    def of(cls, fits_dir: Path, spec: AnalysisSpec) -> FitFiles:
        return cls(fits_dir / spec.name)

    def table(self, name: str) -> Path:
        """One of `FIT_TABLES` (or `LOO_TABLE`) as Parquet."""
        return self.directory / f"{name}.parquet"

    @property
    def plot(self) -> Path:
        return self.directory / "coefficients.png"


@dataclass(frozen=True)
class GatheredFits:
    """The `SUMMARY_TABLES` of every current fit, and the fits left out as stale."""

    tables: dict[str, pd.DataFrame]
    stale: list[str]

    def failing(self) -> list[str]:
        """'analysis / subset' of every fit that misses a convergence check."""
        diagnostics = self.tables["fit_diagnostics"]
        failing = diagnostics.loc[~diagnostics["passed"].astype(bool)]
        return [f"{a} / {s}" for a, s in zip(failing["analysis"], failing["subset"], strict=True)]


def gather_fits(
    specs: Iterable[AnalysisSpec], fits_dir: Path, snapshot_mtime: float, paper: pd.DataFrame
) -> GatheredFits:
    """Every fit of `specs` written after `snapshot_mtime`, plus the comparison with `paper`.

    Raises ``LookupError`` when no fit of the current snapshot exists.
    """
    frames: dict[str, list[pd.DataFrame]] = {name: [] for name in FIT_TABLES}
    loos: list[pd.DataFrame] = []
    stale: list[str] = []
    for spec in specs:
        files = FitFiles.of(fits_dir, spec)
        if not all(files.table(name).exists() for name in FIT_TABLES):
            continue
        # A fit older than the snapshot was sampled from an earlier version of the marts.
        if files.table("fit_diagnostics").stat().st_mtime < snapshot_mtime:
            stale.append(spec.name)
            continue
        for name in FIT_TABLES:
            frames[name].append(pd.read_parquet(files.table(name)))
        if files.table(LOO_TABLE).exists():
            loos.append(pd.read_parquet(files.table(LOO_TABLE)))
    if not frames["posterior_summary"]:
        raise LookupError("no fit of the current snapshot")
    tables = {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}
    sources = ", ".join(sorted(tables["posterior_summary"]["dataset_source"].unique()))
    tables["paper_comparison"] = compare_with_paper(tables["posterior_summary"], paper).assign(
        dataset_source=sources
    )
    tables["beyond_paper_comparison"] = beyond_paper_comparison(
        tables["posterior_summary"], paper
    ).assign(dataset_source=sources)
    pointwise = pd.concat(loos, ignore_index=True) if loos else pd.DataFrame(columns=LOO_COLUMNS)
    tables["model_comparison"] = model_comparison(pointwise, tables["posterior_predictive"]).assign(
        dataset_source=sources
    )
    return GatheredFits(tables, stale)


@dataclass(frozen=True)
class FitOutputs:
    """What one fit left on disk, labelled with the dataset it read."""

    summary: pd.DataFrame
    diagnostics: pd.DataFrame
    hypotheses: pd.DataFrame
    plot: Path | None


def write_fit_outputs(
    result: FitResult, files: FitFiles, dataset_source: str, paper: pd.DataFrame
) -> FitOutputs:
    """Write `result`'s tables (and its coefficient plot, beside the paper's) under `files`."""
    spec = result.spec
    outputs = {
        "posterior_summary": result.summary,
        "fit_diagnostics": result.diagnostics,
        "hypotheses": result.hypotheses,
        "posterior_predictive": result.ppc,
    }
    labelled = {name: f.assign(dataset_source=dataset_source) for name, f in outputs.items()}
    for name, frame in labelled.items():
        frame.to_parquet(files.table(name))
    if result.loo is not None:
        result.loo.to_parquet(files.table(LOO_TABLE))
    plot = None
    # Table 4 (mirroring, and its beta twin) is a matrix of prompt-by-response terms; figure_1
    # draws the paper's instead.
    if spec.paper_analysis != "mirroring":
        plot = coefficient_plot(
            labelled["posterior_summary"],
            spec.analysis,
            files.plot,
            subsets=(spec.subset,),
            # A beyond-the-paper model's coefficients are on another scale than any published one.
            paper=paper[paper["analysis"] == spec.paper_id] if spec.in_paper else None,
            title=f"{spec.analysis}: {spec.subset}",
        )
    return FitOutputs(
        labelled["posterior_summary"], labelled["fit_diagnostics"], labelled["hypotheses"], plot
    )


def store_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]) -> None:
    """Replace each ``analysis.<name>`` table with its frame."""
    con.execute("create schema if not exists analysis")
    for name, frame in tables.items():
        con.register("frame", frame)
        con.execute(f"create or replace table analysis.{name} as select * from frame")
        con.unregister("frame")
