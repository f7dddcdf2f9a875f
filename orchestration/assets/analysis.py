"""The paper's four analyses as Stan fits downstream of the marts, and the tables they feed.

Flow: ``analysis/model_snapshot`` exports the rows the fits read to Parquet (so no fit holds the
DuckDB file for minutes), one asset per fit samples from that snapshot and keeps its draws and
summaries under ``data/fits/<fit>/``, and the ``analysis/posterior_summary`` multi-asset gathers
every fit of the current snapshot into the ``analysis`` schema beside the paper's estimates.
"""

import base64
from pathlib import Path

import dagster as dg
import pandas as pd

from orchestration import settings
from orchestration.modeling.collect import (
    SUMMARY_TABLES,
    FitFiles,
    gather_fits,
    store_tables,
    write_fit_outputs,
)
from orchestration.modeling.engine import choose_engine
from orchestration.modeling.fit import run_analysis
from orchestration.modeling.plots import figure_1
from orchestration.modeling.snapshot import (
    FIT_INPUTS_TABLE,
    PAPER_ESTIMATES_TABLE,
    SnapshotFiles,
    export_snapshot,
)
from orchestration.modeling.specs import AnalysisSpec, Family, beyond_paper_specs, paper_specs
from orchestration.modeling.summaries import DiagnosticThresholds, normalise_paper_estimates
from orchestration.resources import StanSettings, WarehouseResource

SNAPSHOT_KEY = dg.AssetKey(["analysis", "model_snapshot"])
PAPER_ESTIMATES_KEY = dg.AssetKey(PAPER_ESTIMATES_TABLE.split("."))
CONVERGENCE_FIELDS = ("max_r_hat", "min_ess_bulk", "min_ess_tail", "divergences", "min_ebfmi")


def fits_dir() -> Path:
    return settings.data_dir() / "fits"


def snapshot_files() -> SnapshotFiles:
    return SnapshotFiles(settings.data_dir() / "snapshots")


def fit_key(spec: AnalysisSpec) -> dg.AssetKey:
    return dg.AssetKey(["analysis", f"fit_{spec.name}"])


def _markdown_image(path: Path, caption: str) -> str:
    # Embedded so the UI shows the plot without serving files from data/.
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"![{caption}](data:image/png;base64,{encoded})"


@dg.asset(
    key=SNAPSHOT_KEY,
    group_name="analysis",
    deps=[dg.AssetKey(FIT_INPUTS_TABLE.split(".")), PAPER_ESTIMATES_KEY],
    pool="duckdb_writer",
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"parquet"},
)
def model_snapshot(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The rows every fit reads (`marts.fct_fit_inputs`) and the paper's estimates, as Parquet."""
    files = snapshot_files()
    with warehouse.connect(read_only=True) as con:
        export_snapshot(con, files)
    frame = pd.read_parquet(files.rows, columns=["dataset_source", "conversation_type"])
    sources = sorted(frame["dataset_source"].dropna().unique())
    if "synthetic" in sources:
        context.log.warning("The fits will read SYNTHETIC data: their estimates are not PRISM's.")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(files.rows)),
            "rows": len(frame),
            "dataset_source": ", ".join(sources),
            "rows_by_conversation_type": dg.MetadataValue.json(
                frame["conversation_type"].value_counts().to_dict()
            ),
        }
    )


BEYOND_PAPER_GROUP = "beyond_paper"


def _describe(spec: AnalysisSpec) -> str:
    if spec.family is Family.CHOICE:
        slopes = " and participant-level random slopes" if spec.random_slopes else ""
        return (
            f"Beyond the paper: {spec.outcome} on {spec.subset} as a choice among each "
            f"interaction's options (conditional logit on {len(spec.terms)} terms, with LLM "
            f"effects{slopes})."
        )
    beyond = "" if spec.in_paper else f"Beyond the paper, beside {spec.paper_analysis}: "
    return (
        f"{beyond}Stan fit of {spec.analysis} ({spec.family.value}) on {spec.subset}: "
        f"{spec.outcome} on {len(spec.terms)} terms, with participant, conversation and LLM "
        "intercepts."
    )


def _build_fit_asset(spec: AnalysisSpec) -> dg.AssetsDefinition:
    key = fit_key(spec)
    description = _describe(spec)

    @dg.asset(
        key=key,
        group_name="analysis" if spec.in_paper else BEYOND_PAPER_GROUP,
        deps=[SNAPSHOT_KEY],
        description=description,
        check_specs=[
            dg.AssetCheckSpec(
                "convergence", asset=key, description=DiagnosticThresholds().describe()
            )
        ],
        automation_condition=dg.AutomationCondition.eager(),
        kinds={"stan"},
        tags={"analysis": spec.analysis, "beyond_paper": str(not spec.in_paper).lower()},
        # The executor starts the costliest fits first, so both cores stay busy to the end.
        op_tags={"dagster/priority": str(spec.priority)},
    )
    def _fit(context: dg.AssetExecutionContext, stan_settings: StanSettings):
        inputs = snapshot_files()
        if not inputs.rows.exists():
            raise dg.Failure(
                f"No model snapshot at {inputs.rows}: materialise analysis/model_snapshot first "
                "(`make run` does)."
            )
        snapshot = pd.read_parquet(inputs.rows)
        paper = normalise_paper_estimates(pd.read_parquet(inputs.paper_estimates))
        profile = stan_settings.sampling_profile(spec.profile_key)
        files = FitFiles.of(fits_dir(), spec)
        context.log.info(
            f"Sampling {spec.name}: {profile.chains} chains x {profile.warmup} warmup "
            f"+ {profile.draws} draws, seed {profile.seed}, adapt_delta {profile.adapt_delta}"
        )
        result = run_analysis(
            spec,
            snapshot,
            profile,
            stan_settings.options(),
            output_dir=files.directory,
            engine=choose_engine(stan_settings.engine),
            cmdstan_builds=settings.data_dir() / "stan_cache" / "cmdstanpy",
            paper=paper,
        )
        dataset_source = ", ".join(sorted(snapshot["dataset_source"].dropna().unique()))
        outputs = write_fit_outputs(result, files, dataset_source, paper)
        verdict = outputs.diagnostics.iloc[0]
        metadata: dict[str, object] = {
            "engine": f"{result.run.engine} {result.run.engine_version}",
            "profile": profile.name,
            "sampling": f"{profile.chains} chains x {profile.warmup} warmup + {profile.draws} "
            f"draws, seed {profile.seed}, adapt_delta {profile.adapt_delta}, "
            f"max_treedepth {profile.max_treedepth}",
            "rows": int(result.data.stan.N),
            "data_fingerprint": result.data.fingerprint,
            "dataset_source": dataset_source,
            "sample_seconds": round(float(result.run.sample_seconds), 1),
            "max_r_hat": float(verdict["max_r_hat"]),
            "min_ess_bulk": float(verdict["min_ess_bulk"]),
            "draws": dg.MetadataValue.path(str(result.draws_path)),
            "hypotheses": dg.MetadataValue.md(
                outputs.hypotheses.to_markdown(index=False, floatfmt=".3f")
            ),
        }
        metadata["posterior_predictive"] = dg.MetadataValue.md(
            result.ppc.drop(columns=["analysis", "subset"]).to_markdown(index=False, floatfmt=".3f")
            + "\n\n"
            + _markdown_image(result.ppc_plot, f"{spec.name} posterior predictive check")
        )
        if outputs.plot is not None:
            metadata["plot"] = dg.MetadataValue.md(
                _markdown_image(outputs.plot, f"{spec.name} coefficients")
            )
        yield dg.MaterializeResult(metadata=metadata)
        yield dg.AssetCheckResult(
            check_name="convergence",
            passed=bool(verdict["passed"]),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={name: float(verdict[name]) for name in CONVERGENCE_FIELDS},
        )

    return _fit


SPECS = [*paper_specs(), *beyond_paper_specs()]
FIT_ASSETS = [_build_fit_asset(spec) for spec in SPECS]
SUMMARY_KEYS = [dg.AssetKey(["analysis", table]) for table in SUMMARY_TABLES]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            dg.AssetKey(["analysis", table]),
            group_name="analysis",
            deps=[fit_key(spec) for spec in SPECS] + [PAPER_ESTIMATES_KEY],
            kinds={"duckdb"},
            automation_condition=dg.AutomationCondition.eager(),
        )
        for table in SUMMARY_TABLES
    ],
    pool="duckdb_writer",
)
def posterior_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Every fit of the current snapshot in the ``analysis`` schema, beside the paper's estimates.

    Fits sampled before the newest snapshot are left out (and named in the log), so a table never
    mixes estimates from two versions of the marts.
    """
    with warehouse.connect(read_only=True) as con:
        paper = normalise_paper_estimates(con.table(PAPER_ESTIMATES_TABLE).df())
    try:
        gathered = gather_fits(SPECS, fits_dir(), snapshot_files().rows.stat().st_mtime, paper)
    except LookupError as error:
        raise dg.Failure(
            "No fit of the current snapshot: materialise the analysis/fit_* assets first."
        ) from error
    if gathered.stale:
        context.log.warning(f"Left out fits of an earlier snapshot: {', '.join(gathered.stale)}")
    tables = gathered.tables
    with warehouse.connect() as con:
        store_tables(con, tables)

    figures = figure_1(tables["posterior_summary"], fits_dir() / "figures", paper=paper)
    for table in SUMMARY_TABLES:
        metadata: dict[str, object] = {
            "rows": len(tables[table]),
            "fits": len(tables["fit_diagnostics"]),
            "stale_fits_left_out": dg.MetadataValue.json(gathered.stale),
            "fits_failing_diagnostics": dg.MetadataValue.json(gathered.failing()),
        }
        if table == "paper_comparison":
            metadata["preview"] = dg.MetadataValue.md(
                tables[table].head(30).to_markdown(index=False, floatfmt=".3f")
            )
        if table == "posterior_summary":
            for figure in figures:
                metadata[figure.stem] = dg.MetadataValue.md(_markdown_image(figure, figure.stem))
        yield dg.MaterializeResult(asset_key=dg.AssetKey(["analysis", table]), metadata=metadata)


ANALYSIS_ASSETS = [model_snapshot, *FIT_ASSETS, posterior_tables]
