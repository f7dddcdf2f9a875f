"""The dbt project as Dagster sees it: where it lives and how its nodes become asset keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.settings import REPO_ROOT

DBT_PROJECT = DbtProject(
    project_dir=REPO_ROOT, profiles_dir=REPO_ROOT, target_path=REPO_ROOT / "target"
)
DBT_PROJECT.prepare_if_dev()


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys every dbt node by ``<schema>/<name>``, so dbt sources land on the ingest assets' keys.

    The raw tables are written by Python assets keyed ``raw/<table>``; keying dbt sources the same
    way is what joins the two halves of the lineage graph in the UI.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        schema = dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        # Marts follow their inputs: a new raw load or new scores rebuilds what depends on them.
        return dg.AutomationCondition.eager()


# The models on a table that a Python case-study asset writes from the marts (the topic mart):
# selected out of any `dbt build` that runs before that asset.
AFTER_TOPICS = "tag:topics"

TRANSLATOR = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
