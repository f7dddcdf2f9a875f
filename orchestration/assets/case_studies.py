"""PRISM's own case studies (Kirk et al. 2024) as assets downstream of the marts: preference
diversity (model rankings by group, variance decomposition) and the welfare of juries.

``analysis/case_study_inputs`` exports the mart rows once to Parquet, so the Bradley-Terry fits
sample without holding the DuckDB file; the table assets then write ``analysis.*`` in the
writer pool. The library code is in ``orchestration.case_studies``.
"""

import base64
import json
from pathlib import Path

import dagster as dg
import pandas as pd

from orchestration import settings
from orchestration.case_studies import jury, rankings, variance
from orchestration.case_studies.inputs import PARTICIPANT_GROUPINGS, export_inputs, read_input
from orchestration.case_studies.plots import rankings_plot, welfare_plot
from orchestration.modeling.engine import choose_engine, with_overrides
from orchestration.resources import StanSettings, WarehouseResource

GROUP = "case_studies"
INPUTS_KEY = dg.AssetKey(["analysis", "case_study_inputs"])
FITS_KEY = dg.AssetKey(["analysis", "bradley_terry_fits"])
CONVERGENCE_RULE = "every grouping's fit: R-hat <= 1.01, bulk and tail ESS >= 400, no divergences"
# Where groups agree, sd_group sits near zero and mixes slowest of the parameters: at full scale
# with 1,000 draws a chain its tail ESS fell to 305 (age, planted preferences; the threshold is
# 400), with 1,500 it was 534 or more in every fit. At ~15-30 leapfrogs a draw that costs
# seconds, so under the `default` profile these fits draw 1,500 a chain after Stan's standard
# 500-iteration warmup (the settings they were measured with; the paper fits' short warmup relies
# on starts near a point estimate, which these fits do not have). Other profiles draw three
# times what they say.
DEFAULT_WARMUP = {"warmup": 500, "init_buffer": 75, "window": 25, "term_buffer": 50}
DEFAULT_DRAWS = 1500
DRAWS_FACTOR = 3.0
# At the default 0.8 one of 16 full-scale fits had a divergence (age on planted preferences).
ADAPT_DELTA = 0.9
# Below every paper fit's `AnalysisSpec.priority` (and the default 0 of the other steps): in
# `make run` the executor starts the paper's long fits first and these fill a free core after.
FIT_PRIORITY = -1
MART_DEPS = [
    dg.AssetKey(["marts", name])
    for name in (
        "fct_model_pair_counts",
        "dim_ranking_groups",
        "dim_models",
        "fct_participant_model_ratings",
        "dim_participants",
        "fct_responses",
        "fct_opening_prompts",
    )
]


def case_studies_dir() -> Path:
    return settings.data_dir() / "case_studies"


def inputs_dir() -> Path:
    return case_studies_dir() / "inputs"


def markdown_image(path: Path, caption: str) -> dg.MetadataValue:
    # Embedded so the UI shows the plot without serving files from data/.
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return dg.MetadataValue.md(f"![{caption}](data:image/png;base64,{encoded})")


def write_tables(warehouse: WarehouseResource, tables: dict[str, pd.DataFrame]) -> None:
    with warehouse.connect() as con:
        con.execute("create schema if not exists analysis")
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"create or replace table analysis.{name} as select * from frame")
            con.unregister("frame")


def _dataset_source(frame: pd.DataFrame) -> str:
    return ", ".join(sorted(frame["dataset_source"].dropna().unique()))


@dg.asset(
    key=INPUTS_KEY,
    group_name=GROUP,
    deps=MART_DEPS,
    pool="duckdb_writer",
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"parquet"},
)
def case_study_inputs(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The mart rows the case studies read: pair counts, ranking groups, ratings, responses."""
    with warehouse.connect(read_only=True) as con:
        rows = export_inputs(con, inputs_dir())
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(inputs_dir())), **rows})


@dg.asset(
    key=FITS_KEY,
    group_name=GROUP,
    deps=[INPUTS_KEY],
    check_specs=[dg.AssetCheckSpec("convergence", asset=FITS_KEY, description=CONVERGENCE_RULE)],
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"stan"},
    op_tags={"dagster/priority": str(FIT_PRIORITY)},
)
def bradley_terry_fits(context: dg.AssetExecutionContext, stan_settings: StanSettings):
    """Bradley-Terry-Davidson fits of the opening-turn battles, overall and one per grouping."""
    counts = read_input(inputs_dir(), "pair_counts")
    groups = read_input(inputs_dir(), "ranking_groups")
    models = read_input(inputs_dir(), "models")["model_name"].tolist()
    profile = stan_settings.sampling_profile("bradley_terry")
    overrides: dict[str, int | float] = {}
    if stan_settings.adapt_delta is None:
        overrides["adapt_delta"] = ADAPT_DELTA
    is_default = profile.name == "default"
    if stan_settings.draws is None:
        overrides["draws"] = DEFAULT_DRAWS if is_default else round(profile.draws * DRAWS_FACTOR)
    if is_default and stan_settings.warmup is None:
        overrides |= DEFAULT_WARMUP
    profile = with_overrides(profile, **overrides)
    frames, diagnostics = [], []
    for grouping in sorted(groups["grouping"].unique()):
        fit = rankings.fit_grouping(
            counts,
            groups,
            grouping,
            models,
            profile,
            engine=choose_engine(stan_settings.engine),
            cmdstan_builds=settings.data_dir() / "stan_cache" / "cmdstanpy",
        )
        if fit is None:
            context.log.info(f"{grouping}: no level is large enough to rank")
            continue
        context.log.info(
            f"{grouping}: sampled in {fit.diagnostics['sample_seconds']} s, "
            f"passed={fit.diagnostics['passed']}"
        )
        frames.append(fit.rankings)
        diagnostics.append(fit.diagnostics)
    directory = case_studies_dir()
    directory.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(diagnostics)
    pd.concat(frames, ignore_index=True).to_parquet(directory / "bradley_terry_rankings.parquet")
    table.to_parquet(directory / "bradley_terry_diagnostics.parquet")
    yield dg.MaterializeResult(
        metadata={
            "profile": profile.name,
            "fits": len(table),
            "sample_seconds": float(table["sample_seconds"].sum()),
            "diagnostics": dg.MetadataValue.md(table.to_markdown(index=False, floatfmt=".3g")),
        }
    )
    failing = table.loc[~table["passed"].astype(bool), "grouping"].tolist()
    yield dg.AssetCheckResult(
        check_name="convergence",
        passed=not failing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "failing_groupings": json.dumps(failing),
            "max_r_hat": float(table["max_r_hat"].max()),
            "min_ess_bulk": float(table["min_ess_bulk"].min()),
            "min_ess_tail": float(table["min_ess_tail"].min()),
            "divergences": int(table["divergences"].sum()),
        },
    )


@dg.asset(
    key=dg.AssetKey(["analysis", "model_rankings"]),
    group_name=GROUP,
    deps=[INPUTS_KEY, FITS_KEY],
    pool="duckdb_writer",
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"duckdb"},
)
def model_rankings(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The 21 LLMs ranked overall and within each group, by Bradley-Terry and rank centrality."""
    counts = read_input(inputs_dir(), "pair_counts")
    groups = read_input(inputs_dir(), "ranking_groups")
    models = read_input(inputs_dir(), "models")["model_name"].tolist()
    source = _dataset_source(read_input(inputs_dir(), "participants"))
    bt = pd.read_parquet(case_studies_dir() / "bradley_terry_rankings.parquet")
    diagnostics = pd.read_parquet(case_studies_dir() / "bradley_terry_diagnostics.parquet")
    table = rankings.assemble(
        bt, rankings.centrality_rankings(counts, groups, models), counts, groups, models
    ).assign(dataset_source=source)
    write_tables(
        warehouse,
        {"model_rankings": table, "ranking_diagnostics": diagnostics.assign(dataset_source=source)},
    )
    plot = rankings_plot(table, case_studies_dir() / "model_rankings.png")
    overall = table[(table["method"] == "bradley_terry") & (table["grouping"] == "overall")]
    return dg.MaterializeResult(
        metadata={
            "rows": len(table),
            "dataset_source": source,
            "levels_ranked": int((groups["ranking_status"] == rankings.RANKED).sum()),
            "levels_not_ranked": int((groups["ranking_status"] != rankings.RANKED).sum()),
            "overall": dg.MetadataValue.md(
                overall[["rank", "model_name", "ability", "ability_q5", "ability_q95"]].to_markdown(
                    index=False, floatfmt=".3f"
                )
            ),
            "plot": markdown_image(plot, "model rankings by group"),
        }
    )


@dg.asset(
    key=dg.AssetKey(["analysis", "preference_variance"]),
    group_name=GROUP,
    deps=[INPUTS_KEY],
    pool="duckdb_writer",
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"duckdb"},
)
def preference_variance(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Variance of opening-turn preferences between models, individuals, groups and contexts."""
    responses = read_input(inputs_dir(), "opening_responses")
    table = variance.decompose(responses, PARTICIPANT_GROUPINGS).assign(
        dataset_source=_dataset_source(responses)
    )
    write_tables(warehouse, {"preference_variance": table})
    return dg.MaterializeResult(
        metadata={
            "rows": len(table),
            "table": dg.MetadataValue.md(table.to_markdown(index=False, floatfmt=".4g")),
        }
    )


@dg.asset(
    key=dg.AssetKey(["analysis", "jury_welfare"]),
    group_name=GROUP,
    deps=[INPUTS_KEY],
    pool="duckdb_writer",
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"duckdb"},
)
def jury_welfare(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Welfare of the model each jury size and pool chooses, for everyone and minorities."""
    ratings = read_input(inputs_dir(), "ratings")
    participants = read_input(inputs_dir(), "participants")
    source = _dataset_source(participants)
    draws = jury.simulate(ratings, participants).assign(dataset_source=source)
    summary = jury.summarise(draws).assign(dataset_source=source)
    write_tables(warehouse, {"jury_welfare": summary, "jury_welfare_draws": draws})
    plot = welfare_plot(summary, case_studies_dir() / "jury_welfare.png")
    everyone = summary[summary["population"] == "everyone"]
    return dg.MaterializeResult(
        metadata={
            "rows": len(summary),
            "draw_rows": len(draws),
            "seed": jury.SEED,
            "draws_per_jury": jury.DRAWS,
            "everyone": dg.MetadataValue.md(
                everyone[
                    ["country", "jury", "mean_score", "veto_share", "choice_rate"]
                ].to_markdown(index=False, floatfmt=".3f")
            ),
            "plot": markdown_image(plot, "jury welfare"),
        }
    )


CASE_STUDY_ASSETS = [
    case_study_inputs,
    bradley_terry_fits,
    model_rankings,
    preference_variance,
    jury_welfare,
]
