"""The code location loads, and its lineage runs from every raw table to every mart and fit."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.jobs import JOBS, score_texts_job
from orchestration.schedules import score_texts_hourly
from orchestration.sensors import SENSORS

RAW_TABLES = [
    dg.AssetKey(["raw", name])
    for name in ("prism_survey", "prism_conversations", "prism_utterances", "prism_metadata")
]
SCORES = dg.AssetKey(["raw", "text_scores"])


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def _ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    frontier = [key]
    while frontier:
        for parent in graph.get(frontier.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return seen


def test_groups_are_the_documented_layers(graph) -> None:
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {
        "prism",
        "scores",
        "staging",
        "intermediate",
        "marts",
        "analysis",
        "beyond_paper",
        "case_studies",
    }


MARTS = [
    dg.AssetKey(["marts", name])
    for name in (
        "fct_responses",
        "dim_participants",
        "fct_text_attributes",
        "fct_conversations",
        "fct_interactions",
        "dim_models",
    )
]


def test_every_mart_descends_from_the_raw_layer(graph) -> None:
    for mart in MARTS:
        assert set(RAW_TABLES) & _ancestors(graph, mart), mart.to_user_string()
    # The mart the fits read joins every raw file and the scores.
    assert {*RAW_TABLES, SCORES} <= _ancestors(graph, dg.AssetKey(["marts", "fct_responses"]))


def test_every_raw_table_feeds_the_marts(graph) -> None:
    reached = set().union(*(_ancestors(graph, mart) for mart in MARTS))
    assert {*RAW_TABLES, SCORES} <= reached


def test_every_fit_reads_the_marts_through_the_snapshot(graph) -> None:
    fits = [
        k
        for k in graph.get_all_asset_keys()
        if k.path[-1].startswith("fit_l")
        or k.path[-1].startswith("fit_t")
        or k.path[-1].startswith("fit_m")
    ]
    # The paper's 17 and the 16 beyond it: `top_choice` on four subsets, `top_choice_mixed`,
    # `log_score_rounded` on four subsets and `mirroring_beta` on seven attributes.
    assert len(fits) == 33
    for fit in fits:
        ancestors = _ancestors(graph, fit)
        assert dg.AssetKey(["analysis", "model_snapshot"]) in ancestors
        assert {*RAW_TABLES, SCORES} <= ancestors


def test_writers_share_the_duckdb_pool() -> None:
    pools = {
        key.to_user_string(): assets_def.op.pool
        for assets_def in defs.assets
        if isinstance(assets_def, dg.AssetsDefinition)
        for key in assets_def.keys
    }
    for key in (
        "raw/prism_survey",
        "raw/text_scores",
        "marts/fct_responses",
        "analysis/hypotheses",
    ):
        assert pools[key] == "duckdb_writer", key


def test_jobs_schedules_and_sensors_come_from_their_modules() -> None:
    assert [job.name for job in JOBS] == [
        "main_job",
        "case_studies_job",
        "beyond_paper_job",
        "score_texts",
    ]
    for job in JOBS:
        assert defs.resolve_job_def(job.name).name == job.name
    schedule = defs.resolve_schedule_def(score_texts_hourly.name)
    assert schedule.cron_schedule == "0 * * * *"
    assert schedule.job_name == score_texts_job.name
    assert {s.name for s in SENSORS} <= {s.name for s in defs.sensors}


def test_the_beyond_paper_models_have_their_own_job() -> None:
    from orchestration.assets.analysis import SPECS, SUMMARY_KEYS, fit_key
    from orchestration.jobs import beyond_paper_job, main_job

    def keys(name: str) -> set[dg.AssetKey]:
        return set(defs.resolve_job_def(name).asset_layer.executable_asset_keys)

    beyond = {fit_key(spec) for spec in SPECS if not spec.in_paper}
    paper = {fit_key(spec) for spec in SPECS if spec.in_paper}
    assert len(beyond) == 16 and len(paper) == 17
    # `make run` keeps its time: the paper's fits, not the models beside them.
    assert paper <= keys(main_job.name) and not beyond & keys(main_job.name)
    # `make beyond-paper` fits them on the current snapshot and rebuilds the summary tables.
    assert keys(beyond_paper_job.name) == beyond | set(SUMMARY_KEYS)
