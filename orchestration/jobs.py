"""The jobs of the code location: everything (``make run``), and scoring alone.

Other modules refer to a job through its definition here (``main_job.name``), never by a
string of their own.
"""

from __future__ import annotations

import dagster as dg

from orchestration.assets.scoring import SCORES_KEY

main_job = dg.define_asset_job(
    "main_job",
    selection=dg.AssetSelection.all(),
    description="Everything, from the PRISM files to the comparison with the paper (`make run`).",
)

score_texts_job = dg.define_asset_job(
    "score_texts",
    selection=dg.AssetSelection.assets(SCORES_KEY),
    description="Score the texts still missing Perspective scores, within quota.",
)

JOBS = [main_job, score_texts_job]
