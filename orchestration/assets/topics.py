"""PRISM's dialogue-diversity study as assets: topics of opening prompts, and who opens which.

``analysis/opening_topics`` embeds and clusters the prompts exported by
``analysis/case_study_inputs`` (no DuckDB held while UMAP runs), then writes its tables in the
writer pool; dbt joins them to the prompts' participants in ``marts.fct_conversation_topics``,
which ``analysis/topic_prevalence`` reads for the regressions and prevalence by group. The
library code is ``orchestration.case_studies.topics`` and ``topic_regressions``.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from orchestration.assets.case_studies import (
    GROUP,
    INPUTS_KEY,
    case_studies_dir,
    inputs_dir,
    markdown_image,
    write_tables,
)
from orchestration.case_studies.inputs import read_input
from orchestration.case_studies.plots import topic_effects_plot
from orchestration.case_studies.topic_regressions import topic_prevalence as prevalence_by_group
from orchestration.case_studies.topic_regressions import topic_regressions as fit_regressions
from orchestration.case_studies.topics import find_topics
from orchestration.resources import TopicSettings, WarehouseResource

TOPICS_KEY = dg.AssetKey(["analysis", "opening_topics"])
TOPICS_MART_KEY = dg.AssetKey(["marts", "fct_conversation_topics"])


def _source(frame: pd.DataFrame) -> str:
    return ", ".join(sorted(frame["dataset_source"].dropna().unique()))


@dg.asset(
    key=TOPICS_KEY,
    group_name=GROUP,
    deps=[INPUTS_KEY],
    pool="duckdb_writer",
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"duckdb"},
)
def opening_topics(
    warehouse: WarehouseResource, topic_settings: TopicSettings
) -> dg.MaterializeResult:
    """Each conversation's opening-prompt topic, and each topic's size, words and examples."""
    prompts = read_input(inputs_dir(), "opening_prompts")
    params = topic_settings.parameters()
    topics = find_topics(prompts, params, cache_dir=case_studies_dir() / "embeddings")
    source = _source(prompts)
    assignments = topics.assignments.assign(embedder=params.embedder, dataset_source=source)
    summary = topics.summary.assign(embedder=params.embedder, dataset_source=source)
    directory = case_studies_dir()
    directory.mkdir(parents=True, exist_ok=True)
    assignments.to_parquet(directory / "opening_topics.parquet", index=False)
    summary.to_parquet(directory / "topic_summary.parquet", index=False)
    write_tables(warehouse, {"opening_topics": assignments, "topic_summary": summary})
    outliers = summary.loc[summary["topic_id"] == -1, "size"].sum()
    return dg.MaterializeResult(
        metadata={
            "topics": int((summary["topic_id"] >= 0).sum()),
            "outliers": int(outliers),
            "outlier_share": float(outliers / len(assignments)),
            "parameters": dg.MetadataValue.json(params.as_row()),
            "dataset_source": source,
            "summary": dg.MetadataValue.md(
                summary[["topic_id", "size", "top_terms"]].to_markdown(index=False)
            ),
        }
    )


@dg.asset(
    key=dg.AssetKey(["analysis", "topic_prevalence"]),
    group_name=GROUP,
    deps=[TOPICS_MART_KEY, TOPICS_KEY],
    pool="duckdb_writer",
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"duckdb"},
)
def topic_prevalence(
    warehouse: WarehouseResource, topic_settings: TopicSettings
) -> dg.MaterializeResult:
    """Each group's share of each topic, with a per-topic linear probability model beside it."""
    with warehouse.connect(read_only=True) as con:
        frame = con.table("marts.fct_conversation_topics").df()
    frame = frame.rename(columns={"topic_name": "topic"})
    summary = pd.read_parquet(case_studies_dir() / "topic_summary.parquet")
    source = _source(frame)
    table = fit_regressions(
        frame[["conversation_id", "topic_id", "topic"]],
        frame.drop(columns=["topic_id", "topic"]),
        alpha=topic_settings.alpha,
        min_participants=topic_settings.min_participants,
    ).assign(dataset_source=source)
    prevalence = prevalence_by_group(frame, table).assign(dataset_source=source)
    write_tables(warehouse, {"topic_prevalence": prevalence, "topic_regressions": table})
    plot = topic_effects_plot(table, summary, case_studies_dir() / "topic_regressions.png")
    slopes = table[table["term"] != "intercept"]
    demographic = slopes[~slopes["term"].str.startswith("conversation_type[")]
    return dg.MaterializeResult(
        metadata={
            "rows": len(prevalence),
            "regression_rows": len(table),
            "alpha": topic_settings.alpha,
            "min_participants": topic_settings.min_participants,
            "significant_clustered": int(slopes["is_significant"].sum()),
            "significant_hc1": int(slopes["is_significant_hc1"].sum()),
            "demographic_significant_clustered": int(demographic["is_significant"].sum()),
            "demographic_terms": len(demographic),
            "plot": markdown_image(plot, "topic regressions"),
        }
    )


TOPIC_ASSETS = [opening_topics, topic_prevalence]
