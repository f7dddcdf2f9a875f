"""Schedules: an hourly scoring run that drains the Perspective backlog within quota."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.scoring import text_scores_run_config
from orchestration.jobs import score_texts_job

HOURLY = "0 * * * *"
# Each run is capped at ``qps * 60 * RUN_WINDOW_MINUTES`` texts, so an hourly run ends before
# the next one starts and two runs never share the quota.
RUN_WINDOW_MINUTES = 50.0

score_texts_hourly = dg.ScheduleDefinition(
    name="score_texts_hourly",
    job=score_texts_job,
    cron_schedule=HOURLY,
    run_config=text_scores_run_config(
        {"scorer": "perspective", "run_window_minutes": RUN_WINDOW_MINUTES}
    ),
    description="Drains the scoring backlog within the Perspective quota.",
)

SCHEDULES = [score_texts_hourly]
