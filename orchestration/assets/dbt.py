"""Every dbt model and seed as an asset, every dbt test as an asset check."""


import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import DBT_PROJECT, TRANSLATOR


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    pool="duckdb_writer",
)
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The staging, intermediate and mart models, built and tested with ``dbt build``."""
    yield from dbt.cli(["build"], context=context).stream()
