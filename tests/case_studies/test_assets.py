"""The case-study assets: their group, lineage from the raw tables, pools and checks."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.assets.case_studies import CASE_STUDY_ASSETS, GROUP
from orchestration.assets.topics import TOPIC_ASSETS
from orchestration.definitions import defs
from orchestration.jobs import case_studies_job, main_job
from orchestration.modeling.specs import paper_specs

OUTPUTS = ("model_rankings", "preference_variance", "jury_welfare")
RAW = [dg.AssetKey(["raw", f"prism_{name}"]) for name in ("survey", "conversations", "utterances")]


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    frontier = [key]
    while frontier:
        for parent in graph.get(frontier.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return seen


def test_outputs_are_in_their_own_group_downstream_of_the_marts(graph) -> None:
    for name in OUTPUTS:
        key = dg.AssetKey(["analysis", name])
        assert graph.get(key).group_name == GROUP
        parents = ancestors(graph, key)
        assert set(RAW) <= parents, name
        assert dg.AssetKey(["marts", "fct_battles"]) in parents
        assert dg.AssetKey(["marts", "fct_participant_model_ratings"]) in parents


def test_table_writers_hold_the_duckdb_pool_and_the_fits_do_not() -> None:
    pools = {a.key.path[-1]: a.op.pool for a in CASE_STUDY_ASSETS}
    assert pools["bradley_terry_fits"] is None
    for name in ("case_study_inputs", *OUTPUTS):
        assert pools[name] == "duckdb_writer", name


def test_the_fits_carry_a_convergence_check(graph) -> None:
    checks = {c.name for c in graph.get(dg.AssetKey(["analysis", "bradley_terry_fits"])).check_keys}
    assert checks == {"convergence"}


def _job_keys(name: str) -> set[dg.AssetKey]:
    return set(defs.resolve_job_def(name).asset_layer.executable_asset_keys)


def test_make_run_holds_the_case_studies_and_their_own_job_leaves_out_the_paper(graph) -> None:
    case_studies = {a.key for a in [*CASE_STUDY_ASSETS, *TOPIC_ASSETS]}
    main = _job_keys(main_job.name)
    own = _job_keys(case_studies_job.name)
    assert case_studies <= main
    assert case_studies <= own
    # Their own job rebuilds what they read, from the raw tables up, and no paper fit.
    assert set(RAW) <= own
    assert dg.AssetKey(["marts", "fct_battles"]) in own
    assert not {key for key in own if graph.get(key).group_name == "analysis"}


def test_the_case_study_fits_start_after_every_paper_fit() -> None:
    fits = {a.key.path[-1]: a for a in CASE_STUDY_ASSETS}["bradley_terry_fits"]
    priority = int(fits.op.tags["dagster/priority"])
    paper = [spec.priority for spec in paper_specs()]
    assert paper
    assert priority < min(paper)
    assert priority < 0  # below the steps that carry no priority tag


def test_topic_outputs_descend_from_the_opening_prompts_mart(graph) -> None:
    for asset in TOPIC_ASSETS:
        assert graph.get(asset.key).group_name == GROUP
        assert asset.op.pool == "duckdb_writer"
        parents = ancestors(graph, asset.key)
        assert set(RAW) <= parents
        assert dg.AssetKey(["marts", "fct_opening_prompts"]) in parents
    # The topic mart sits between the topic asset that writes its source and the prevalence.
    mart = dg.AssetKey(["marts", "fct_conversation_topics"])
    assert dg.AssetKey(["analysis", "opening_topics"]) in ancestors(graph, mart)
    assert mart in ancestors(graph, dg.AssetKey(["analysis", "topic_prevalence"]))
    assert mart in _job_keys(main_job.name) and mart in _job_keys(case_studies_job.name)
