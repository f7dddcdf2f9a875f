"""The Dagster code location: every asset, check, job, schedule, sensor and resource."""

import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration import settings
from orchestration.assets import ingest
from orchestration.assets.analysis import ANALYSIS_ASSETS
from orchestration.assets.case_studies import CASE_STUDY_ASSETS
from orchestration.assets.dbt import DBT_ASSETS
from orchestration.assets.ingest import INGEST_ASSETS
from orchestration.assets.scoring import GROUP as SCORES_GROUP
from orchestration.assets.scoring import text_scores
from orchestration.assets.topics import TOPIC_ASSETS
from orchestration.dbt_project import DBT_PROJECT
from orchestration.jobs import JOBS
from orchestration.resources import (
    PrismSourceResource,
    StanSettings,
    TopicSettings,
    WarehouseResource,
    perspective_resource,
)
from orchestration.schedules import SCHEDULES
from orchestration.sensors import SENSORS

# dbt is installed beside this interpreter; finding it there works without an activated venv.
DBT_EXECUTABLE = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"

# Tables that several assets write into: declared so the lineage graph shows who feeds them.
side_tables = [
    dg.AssetSpec(
        dg.AssetKey(["raw", "prism_rejects"]),
        group_name=ingest.GROUP,
        deps=[asset.key for asset in INGEST_ASSETS],
        description="Every rejected PRISM line with its file, line number and reason.",
        kinds={"duckdb"},
    ),
    dg.AssetSpec(
        dg.AssetKey(["raw", "text_score_failures"]),
        group_name=SCORES_GROUP,
        deps=[text_scores.key],
        description="Texts that got no score: the API's error or the reason they were skipped.",
        kinds={"duckdb"},
    ),
]

defs = dg.Definitions(
    assets=[
        *INGEST_ASSETS,
        text_scores,
        *side_tables,
        *DBT_ASSETS,
        *ANALYSIS_ASSETS,
        *CASE_STUDY_ASSETS,
        *TOPIC_ASSETS,
    ],
    jobs=JOBS,
    schedules=SCHEDULES,
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
        "stan_settings": StanSettings(
            profile=settings.fit_profile(), engine=settings.stan_engine()
        ),
        "topic_settings": TopicSettings(embedder=settings.topic_embedder()),
    },
)
