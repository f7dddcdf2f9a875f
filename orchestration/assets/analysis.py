"""The paper's four analyses as Stan fits downstream of the marts, and the tables they feed.

Flow: ``analysis/model_snapshot`` exports the rows the fits read to Parquet (so no fit holds the
DuckDB file for minutes), one asset per fit samples from that snapshot and keeps its draws and
summaries under ``data/fits/<fit>/``, and the ``analysis/posterior_summary`` multi-asset gathers
every fit of the current snapshot into the ``analysis`` schema beside the paper's estimates.
"""

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd

from orchestration import settings
from orchestration.modeling.engine import SamplingProfile, profile_for, with_overrides
from orchestration.modeling.fit import run_analysis
from orchestration.modeling.plots import coefficient_plot, figure_1
from orchestration.modeling.specs import AnalysisOptions, AnalysisSpec, paper_specs
from orchestration.modeling.summaries import compare_with_paper, read_paper_estimates
from orchestration.resources import WarehouseResource

SNAPSHOT_KEY = dg.AssetKey(["analysis", "model_snapshot"])
SUMMARY_TABLES = ("posterior_summary", "fit_diagnostics", "hypotheses", "paper_comparison")
MODERATOR_COLUMNS = ("is_younger", "is_male", "is_white", "has_high_values")
CONVERGENCE_FIELDS = ("max_r_hat", "min_ess_bulk", "min_ess_tail", "divergences", "min_ebfmi")
CONVERGENCE_RULE = "R-hat <= 1.01, bulk and tail ESS >= 400, no divergences, E-BFMI > 0.3"


class StanSettings(dg.ConfigurableResource):
    """How the fits sample and which rows they use; defaults are the paper's reading.

    ``profile`` is ``quick`` (tests), ``default`` (4 chains x 500 + 500) or ``paper``
    (4 x 1,000 + 1,000 for 1a/1b, 3,000 draws for 2 and 3); ``PRISM_FIT_PROFILE`` sets it.
    Each of ``chains``, ``warmup``, ``draws``, ``seed``, ``adapt_delta`` and ``max_treedepth``
    overrides the profile's value when set (in the launchpad's resource config, say).
    """

    profile: str = "default"
    chains: int | None = None
    warmup: int | None = None
    draws: int | None = None
    seed: int | None = None
    adapt_delta: float | None = None
    max_treedepth: int | None = None
    prior: str = "weak"
    turns: str = "all"
    english_only: bool = True

    def options(self) -> AnalysisOptions:
        return AnalysisOptions(english_only=self.english_only, turns=self.turns, prior=self.prior)

    def sampling_profile(self, paper_id: str) -> SamplingProfile:
        """The named profile for analysis `paper_id`, with every field set here replacing its."""
        overrides = {
            name: value
            for name in ("chains", "warmup", "draws", "seed", "adapt_delta", "max_treedepth")
            if (value := getattr(self, name)) is not None
        }
        return with_overrides(profile_for(self.profile, paper_id), **overrides)


def fits_dir() -> Path:
    return settings.data_dir() / "fits"


def snapshot_path() -> Path:
    return settings.data_dir() / "snapshots" / "model_snapshot.parquet"


def fit_key(spec: AnalysisSpec) -> dg.AssetKey:
    return dg.AssetKey(["analysis", f"fit_{spec.name}"])


def _markdown_image(path: Path, caption: str) -> str:
    # Embedded so the UI shows the plot without serving files from data/.
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"![{caption}](data:image/png;base64,{encoded})"


@dg.asset(
    key=SNAPSHOT_KEY,
    group_name="analysis",
    deps=[dg.AssetKey(["marts", "fct_responses"]), dg.AssetKey(["marts", "dim_participants"])],
    pool="duckdb_writer",
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"parquet"},
)
def model_snapshot(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The rows every fit reads: each rated response with its participant's moderators."""
    path = snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".parquet.partial")
    moderators = ", ".join(f"p.{c}" for c in MODERATOR_COLUMNS)
    with warehouse.connect(read_only=True) as con:
        con.execute(
            f"""
            copy (
              select r.*, {moderators}
              from marts.fct_responses as r
              left join marts.dim_participants as p using (user_id)
              order by r.utterance_id
            ) to '{partial}' (format parquet)
            """
        )
    partial.replace(path)
    frame = pd.read_parquet(path, columns=["dataset_source", "conversation_type"])
    sources = sorted(frame["dataset_source"].dropna().unique())
    if "synthetic" in sources:
        context.log.warning("The fits will read SYNTHETIC data: their estimates are not PRISM's.")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "rows": len(frame),
            "dataset_source": ", ".join(sources),
            "rows_by_conversation_type": dg.MetadataValue.json(
                frame["conversation_type"].value_counts().to_dict()
            ),
        }
    )


@dataclass(frozen=True)
class FitFiles:
    """Where one fit keeps its outputs; the summary asset reads them back."""

    directory: Path

    @property
    def summary(self) -> Path:
        return self.directory / "posterior_summary.parquet"

    @property
    def diagnostics(self) -> Path:
        return self.directory / "fit_diagnostics.parquet"

    @property
    def hypotheses(self) -> Path:
        return self.directory / "hypotheses.parquet"

    @property
    def plot(self) -> Path:
        return self.directory / "coefficients.png"


def _build_fit_asset(spec: AnalysisSpec) -> dg.AssetsDefinition:
    key = fit_key(spec)
    description = (
        f"Stan fit of {spec.analysis} ({spec.family.value}) on {spec.subset}: "
        f"{spec.outcome} on {len(spec.terms)} terms, with participant, conversation and LLM "
        "intercepts."
    )

    @dg.asset(
        key=key,
        group_name="analysis",
        deps=[SNAPSHOT_KEY],
        description=description,
        check_specs=[
            dg.AssetCheckSpec(
                "convergence",
                asset=key,
                description=CONVERGENCE_RULE,
            )
        ],
        automation_condition=dg.AutomationCondition.eager(),
        kinds={"stan"},
        tags={"analysis": spec.analysis},
    )
    def _fit(context: dg.AssetExecutionContext, stan_settings: StanSettings):
        snapshot = pd.read_parquet(snapshot_path())
        paper = read_paper_estimates()
        profile = stan_settings.sampling_profile(spec.paper_id)
        files = FitFiles(fits_dir() / spec.name)
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
            paper=paper,
        )
        dataset_source = ", ".join(sorted(snapshot["dataset_source"].dropna().unique()))
        summary = result.summary.assign(dataset_source=dataset_source)
        diagnostics = result.diagnostics.assign(dataset_source=dataset_source)
        hypotheses = result.hypotheses.assign(dataset_source=dataset_source)
        summary.to_parquet(files.summary)
        diagnostics.to_parquet(files.diagnostics)
        hypotheses.to_parquet(files.hypotheses)

        plot = None
        if spec.analysis != "mirroring":
            published = paper[paper["analysis"] == spec.paper_id]
            plot = coefficient_plot(
                summary,
                spec.analysis,
                files.plot,
                subsets=(spec.subset,),
                paper=published,
                title=f"{spec.analysis}: {spec.subset}",
            )
        verdict = diagnostics.iloc[0]
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
            "hypotheses": dg.MetadataValue.md(hypotheses.to_markdown(index=False, floatfmt=".3f")),
        }
        if plot is not None:
            metadata["plot"] = dg.MetadataValue.md(
                _markdown_image(plot, f"{spec.name} coefficients")
            )
        yield dg.MaterializeResult(metadata=metadata)
        yield dg.AssetCheckResult(
            check_name="convergence",
            passed=bool(verdict["passed"]),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={name: float(verdict[name]) for name in CONVERGENCE_FIELDS},
        )

    return _fit


SPECS = paper_specs()
FIT_ASSETS = [_build_fit_asset(spec) for spec in SPECS]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            dg.AssetKey(["analysis", table]),
            group_name="analysis",
            deps=[fit_key(spec) for spec in SPECS] + [dg.AssetKey(["marts", "paper_estimates"])],
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
    frames: dict[str, list[pd.DataFrame]] = {
        t: [] for t in ("posterior_summary", "fit_diagnostics", "hypotheses")
    }
    snapshot_mtime = snapshot_path().stat().st_mtime
    stale: list[str] = []
    for spec in SPECS:
        files = FitFiles(fits_dir() / spec.name)
        if not files.summary.exists():
            continue
        # A fit older than the snapshot was sampled from an earlier version of the marts.
        if files.diagnostics.stat().st_mtime < snapshot_mtime:
            stale.append(spec.name)
            continue
        frames["posterior_summary"].append(pd.read_parquet(files.summary))
        frames["fit_diagnostics"].append(pd.read_parquet(files.diagnostics))
        frames["hypotheses"].append(pd.read_parquet(files.hypotheses))
    if not frames["posterior_summary"]:
        raise dg.Failure(
            "No fit of the current snapshot: materialise the analysis/fit_* assets first."
        )
    if stale:
        context.log.warning(f"Left out fits of an earlier snapshot: {', '.join(stale)}")
    tables = {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}
    paper = read_paper_estimates()
    tables["paper_comparison"] = compare_with_paper(tables["posterior_summary"], paper).assign(
        dataset_source=", ".join(sorted(tables["posterior_summary"]["dataset_source"].unique()))
    )

    with warehouse.connect() as con:
        con.execute("create schema if not exists analysis")
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"create or replace table analysis.{name} as select * from frame")
            con.unregister("frame")

    figures = figure_1(tables["posterior_summary"], fits_dir() / "figures", paper=paper)
    failing = tables["fit_diagnostics"].loc[~tables["fit_diagnostics"]["passed"].astype(bool)]
    for table in SUMMARY_TABLES:
        metadata: dict[str, object] = {
            "rows": len(tables[table]),
            "fits": len(tables["fit_diagnostics"]),
            "stale_fits_left_out": json.dumps(stale),
            "fits_failing_diagnostics": json.dumps(
                [f"{a} / {s}" for a, s in zip(failing["analysis"], failing["subset"], strict=True)]
            ),
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
