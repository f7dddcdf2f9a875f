"""The Dagster code location: every asset, check, job, schedule, sensor and resource."""

import os
import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.analysis import ANALYSIS_ASSETS, StanSettings
from orchestration.assets.case_studies import CASE_STUDY_ASSETS
from orchestration.assets.dbt import DBT_ASSETS
from orchestration.assets.ingest import INGEST_ASSETS
from orchestration.assets.scoring import build_scoring_schedule, perspective_resource, text_scores
from orchestration.dbt_project import DBT_PROJECT
from orchestration.resources import PrismSourceResource, WarehouseResource
from orchestration.sensors import SENSORS

# dbt is installed beside this interpreter; finding it there works without an activated venv.
DBT_EXECUTABLE = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"

score_texts_job, score_texts_schedule = build_scoring_schedule()

# Tables that several assets write into: declared so the lineage graph shows who feeds them.
side_tables = [
    dg.AssetSpec(
        dg.AssetKey(["raw", "prism_rejects"]),
        group_name="prism",
        deps=[asset.key for asset in INGEST_ASSETS],
        description="Every rejected PRISM line with its file, line number and reason.",
        kinds={"duckdb"},
    ),
    dg.AssetSpec(
        dg.AssetKey(["raw", "text_score_failures"]),
        group_name="scores",
        deps=[text_scores.key],
        description="Texts that got no score: the API's error or the reason they were skipped.",
        kinds={"duckdb"},
    ),
]

main_job = dg.define_asset_job(
    "main_job",
    selection=dg.AssetSelection.all(),
    description="Everything, from the PRISM files to the comparison with the paper (`make run`).",
)

defs = dg.Definitions(
    assets=[*INGEST_ASSETS, text_scores, *side_tables, *DBT_ASSETS, *ANALYSIS_ASSETS]
    + CASE_STUDY_ASSETS,
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
        "dbt": DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE),
        # Read once at load time so `PRISM_FIT_PROFILE=quick make run` gives a fast demo run.
        "stan_settings": StanSettings(profile=os.environ.get("PRISM_FIT_PROFILE", "default")),
    },
)
