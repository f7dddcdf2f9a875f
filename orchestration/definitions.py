"""The Dagster code location: every asset, check, job, schedule, sensor and resource."""

import os

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.analysis import ANALYSIS_ASSETS, StanSettings
from orchestration.assets.dbt import warehouse_dbt_assets
from orchestration.assets.ingest import INGEST_ASSETS
from orchestration.assets.scoring import build_scoring_schedule, perspective_resource, text_scores
from orchestration.dbt_project import DBT_PROJECT
from orchestration.resources import PrismSourceResource, WarehouseResource
from orchestration.sensors import SENSORS

score_texts_job, score_texts_schedule = build_scoring_schedule()

main_job = dg.define_asset_job(
    "main_job",
    selection=dg.AssetSelection.all(),
    description="Everything, from the PRISM files to the comparison with the paper (`make run`).",
)

defs = dg.Definitions(
    assets=[*INGEST_ASSETS, text_scores, warehouse_dbt_assets, *ANALYSIS_ASSETS],
    jobs=[main_job, score_texts_job],
    schedules=[score_texts_schedule],
    sensors=[
        *SENSORS,
        dg.AutomationConditionSensorDefinition(
            "automation",
            target=dg.AssetSelection.all(),
            default_status=dg.DefaultSensorStatus.RUNNING,
        ),
    ],
    resources={
        "warehouse": WarehouseResource(),
        "prism_source": PrismSourceResource(),
        "perspective": perspective_resource(),
        "dbt": DbtCliResource(project_dir=DBT_PROJECT),
        # Read once at load time so `PRISM_FIT_PROFILE=quick make run` gives a fast demo run.
        "stan_settings": StanSettings(profile=os.environ.get("PRISM_FIT_PROFILE", "default")),
    },
)
