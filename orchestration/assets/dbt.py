"""Every dbt model and seed as an asset, every dbt test as an asset check.

The dbt project is split in two ``@dbt_assets`` definitions because scoring sits in the middle
of it: the PRISM staging models (which produce ``staging/stg_prism__texts``, the texts to score)
run before ``raw/text_scores``, and everything that reads scores runs after. One definition on
both sides of the scoring asset would make Dagster cut the dbt op into pieces whose tests can run
before the models they check. The topic mart reads a table that a Python asset writes from the
marts, so it is a third definition, after that asset.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import AFTER_TOPICS, DBT_PROJECT, TRANSLATOR

BEFORE_SCORING = "path:dbt_project/models/staging/prism resource_type:seed"
# "buildable": a test runs in the op that builds the last of its parents, never before them
# (dbt's default, "eager", would run a mart's relationship test with the staging models).
BUILD = ["build", "--indirect-selection", "buildable"]


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    select=BEFORE_SCORING,
    name="dbt_prism_staging",
    pool="duckdb_writer",
)
def dbt_prism_staging(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The PRISM staging views and the seeds, built and tested with ``dbt build``."""
    yield from dbt.cli(BUILD, context=context).stream()


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    exclude=f"{BEFORE_SCORING} {AFTER_TOPICS}",
    name="dbt_warehouse",
    pool="duckdb_writer",
)
def dbt_warehouse(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Score staging, the intermediate models and the marts, built and tested with ``dbt build``."""
    yield from dbt.cli(BUILD, context=context).stream()


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    select=AFTER_TOPICS,
    name="dbt_topic_marts",
    pool="duckdb_writer",
)
def dbt_topic_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """``marts.fct_conversation_topics`` and its staging view, on the topic asset's table."""
    yield from dbt.cli(BUILD, context=context).stream()


DBT_ASSETS = [dbt_prism_staging, dbt_warehouse, dbt_topic_marts]
