"""The Stan layer as a plain library (no Dagster): analysis specs, Stan data records built from
mart snapshots, one engine adapter (cmdstanpy or PyStan), posterior summaries, diagnostics,
hypothesis tables, the comparison with the paper, and figures.

Typical use::

    from orchestration.modeling import paper_specs, profile_for, run_analysis

    for spec in paper_specs():
        result = run_analysis(spec, snapshot, profile_for("paper", spec.paper_id),
                              output_dir=out)
"""

from .data import FitData, NestedData, build_fit_data
from .engine import SampleResult, SamplingProfile, choose_engine, profile_for, sample
from .fit import FitResult, run_analysis
from .specs import AnalysisOptions, AnalysisSpec, Family, paper_specs
from .summaries import (
    FitDiagnostics,
    compare_with_paper,
    fit_diagnostics,
    hypothesis_table,
    posterior_summary,
    read_paper_estimates,
)

__all__ = [
    "AnalysisOptions",
    "AnalysisSpec",
    "Family",
    "FitData",
    "FitDiagnostics",
    "FitResult",
    "NestedData",
    "SampleResult",
    "SamplingProfile",
    "build_fit_data",
    "choose_engine",
    "compare_with_paper",
    "fit_diagnostics",
    "hypothesis_table",
    "paper_specs",
    "posterior_summary",
    "profile_for",
    "read_paper_estimates",
    "run_analysis",
    "sample",
]
