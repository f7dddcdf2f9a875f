"""End to end on the small synthetic twin: the topics planted in opening prompts are found
through the mart, and the planted demographic effects on who opens them come out of the topic
regressions with the right sign and significant (slow: a dbt build, then UMAP)."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from dagster_dbt import DbtCliResource
from sklearn.metrics import adjusted_rand_score

from orchestration.assets.case_studies import case_study_inputs
from orchestration.assets.dbt import dbt_topic_marts
from orchestration.assets.topics import opening_topics
from orchestration.assets.topics import topic_prevalence as topic_prevalence_asset
from orchestration.case_studies.inputs import export_inputs, read_input
from orchestration.case_studies.topic_regressions import topic_regressions
from orchestration.case_studies.topics import TopicParameters, Topics, find_topics
from orchestration.dbt_project import DBT_PROJECT
from orchestration.definitions import DBT_EXECUTABLE
from orchestration.resources import TopicSettings, WarehouseResource
from orchestration.synthetic import generate
from orchestration.synthetic.truth import PLANTED_TOPICS
from tests.dbt.conftest import build_warehouse

pytestmark = pytest.mark.slow

# The small scale has about 320 conversations, 15-90 per planted topic: PRISM's 80 would
# leave most topics unclustered.
SMALL_MIN_CLUSTER_SIZE = 10


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small `preferences` twin and the warehouse dbt built from it."""
    prism = tmp_path_factory.mktemp("prism_topics")
    generate(prism, scale="small", seed=0, truth="preferences")
    warehouse = build_warehouse(prism, tmp_path_factory.mktemp("dbt_topics"), "topics:seed=0")
    return prism, warehouse.db_path


@pytest.fixture(scope="module")
def found(
    built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Topics, pd.DataFrame, dict]:
    prism, db_path = built
    directory = tmp_path_factory.mktemp("inputs_topics")
    with duckdb.connect(str(db_path), read_only=True) as con:
        export_inputs(con, directory)
    prompts = read_input(directory, "opening_prompts")
    params = TopicParameters(min_cluster_size=SMALL_MIN_CLUSTER_SIZE)
    topics = find_topics(prompts, params, cache_dir=tmp_path_factory.mktemp("embeddings"))
    planted = json.loads((prism / "truth.json").read_text())["topics"]["conversation_topics"]
    return topics, prompts, planted


def _found_topic(topics: Topics, planted: dict, name: str) -> int:
    """The found topic holding most of the conversations planted on `name`."""
    frame = topics.assignments.assign(planted=topics.assignments["conversation_id"].map(planted))
    return int(frame.loc[frame["planted"] == name, "topic_id"].mode()[0])


def test_planted_topics_are_found(found) -> None:
    topics, _, planted = found
    frame = topics.assignments
    ari = adjusted_rand_score(frame["conversation_id"].map(planted), frame["topic_id"])
    assert ari >= 0.7
    # Each planted topic gets a topic of its own, named by its own words.
    ids = {name: _found_topic(topics, planted, name) for name in PLANTED_TOPICS.vocabulary}
    assert len(set(ids.values())) == len(ids)
    summary = topics.summary.set_index("topic_id")
    for name, topic_id in ids.items():
        first_term = summary.loc[topic_id, "top_terms"].split(", ")[0]
        assert first_term in PLANTED_TOPICS.vocabulary[name].split(), name


def test_planted_effects_come_out_of_the_regressions(found) -> None:
    topics, prompts, planted = found
    table = topic_regressions(topics.assignments, prompts).set_index(["topic_id", "term"])
    for attribute, levels in PLANTED_TOPICS.effects.items():
        for level, by_topic in levels.items():
            for name, effect in by_topic.items():
                row = table.loc[(_found_topic(topics, planted, name), f"{attribute}[{level}]")]
                assert (row["estimate"] > 0) == (effect > 0), (name, level)
                assert row["p_clustered"] < 0.01, (name, level)


def test_the_assets_write_the_analysis_tables(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, db_path = built
    monkeypatch.setenv("PRISM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PRISM_WAREHOUSE_DB", str(db_path))
    result = dg.materialize(
        [case_study_inputs, opening_topics, dbt_topic_marts, topic_prevalence_asset],
        resources={
            "warehouse": WarehouseResource(path=str(db_path)),
            "dbt": DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE),
            "topic_settings": TopicSettings(min_cluster_size=SMALL_MIN_CLUSTER_SIZE),
        },
    )
    assert result.success
    with duckdb.connect(str(db_path), read_only=True) as con:
        conversations = con.execute("select count(*) from marts.fct_opening_prompts").fetchall()
        assigned = con.execute("select count(*) from analysis.opening_topics").fetchall()
        topics = con.execute(
            "select count(*) from analysis.topic_summary where topic_id >= 0"
        ).fetchall()
        significant = con.execute(
            "select count(*) from analysis.topic_regressions where is_significant"
        ).fetchall()
        in_mart = con.execute("select count(*) from marts.fct_conversation_topics").fetchall()
        prevalence = con.execute(
            "select grouping, level, sum(share) from analysis.topic_prevalence group by all"
        ).fetchall()
    assert assigned == conversations
    assert in_mart == conversations
    # Within a level the shares of the topics (outliers included) sum to one.
    assert {row[0] for row in prevalence} >= {"overall", "gender", "conversation_type"}
    assert all(abs(total - 1) < 1e-9 for _, _, total in prevalence)
    assert topics[0][0] >= len(PLANTED_TOPICS.vocabulary)
    assert significant[0][0] > 0
    metadata = result.asset_materializations_for_node("analysis__topic_prevalence")[0].metadata
    assert metadata["plot"].value.startswith("![topic regressions](data:image/png;base64,")
