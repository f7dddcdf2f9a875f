"""The jobs of the code location: everything (``make run``), PRISM's case studies alone
(``make case-studies``), and scoring alone.

Other modules refer to a job through its definition here (``main_job.name``), never by a
string of their own.
"""

from __future__ import annotations

import dagster as dg

from orchestration.assets.case_studies import GROUP as CASE_STUDIES_GROUP
from orchestration.assets.scoring import SCORES_KEY

CASE_STUDIES = dg.AssetSelection.groups(CASE_STUDIES_GROUP)

main_job = dg.define_asset_job(
    "main_job",
    selection=dg.AssetSelection.all(),
    description=(
        "Everything, from the PRISM files to the comparison with the paper and PRISM's own case "
        "studies (`make run`)."
    ),
)

# The case studies and what they read, without the paper's fits: for running them alone.

case_studies_job = dg.define_asset_job(
    "case_studies_job",
    selection=CASE_STUDIES.upstream(),
    description="PRISM's own case studies and every asset they read (`make case-studies`).",
)

score_texts_job = dg.define_asset_job(
    "score_texts",
    selection=dg.AssetSelection.assets(SCORES_KEY),
    description="Score the texts still missing Perspective scores, within quota.",
)

JOBS = [main_job, case_studies_job, score_texts_job]
