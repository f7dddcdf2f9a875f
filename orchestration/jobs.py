"""The jobs of the code location: everything but the beyond-the-paper models (``make run``),
PRISM's case studies alone (``make case-studies``), the beyond-the-paper models on the current
snapshot (``make beyond-paper``), and scoring alone.

Other modules refer to a job through its definition here (``main_job.name``), never by a
string of their own.
"""

from __future__ import annotations

import dagster as dg

from orchestration.assets.analysis import BEYOND_PAPER_GROUP, SUMMARY_KEYS
from orchestration.assets.case_studies import GROUP as CASE_STUDIES_GROUP
from orchestration.assets.scoring import SCORES_KEY

CASE_STUDIES = dg.AssetSelection.groups(CASE_STUDIES_GROUP)
BEYOND_PAPER = dg.AssetSelection.groups(BEYOND_PAPER_GROUP)

main_job = dg.define_asset_job(
    "main_job",
    selection=dg.AssetSelection.all() - BEYOND_PAPER,
    description=(
        "Everything, from the PRISM files to the comparison with the paper and PRISM's own case "
        "studies (`make run`); the beyond-the-paper models are `beyond_paper_job`."
    ),
)

# Not in `make run`: together they would take it past its 20-minute goal on two cores (the
# mixed logit alone samples for about half an hour, and the eleven bounded-family fits sample
# the participant and conversation intercepts as 1a does). They read the snapshot `make run`
# left, and the summary tables are rebuilt with them beside the paper's fits of the same snapshot.
beyond_paper_job = dg.define_asset_job(
    "beyond_paper_job",
    selection=BEYOND_PAPER | dg.AssetSelection.assets(*SUMMARY_KEYS),
    description=(
        "The models set beside the paper's (the top pick as a choice: conditional and mixed "
        "logit; the score as a rounded, censored, heaped log-logistic; mirroring as beta "
        "regressions) on the current snapshot, and the analysis tables (`make beyond-paper`, "
        "after `make run`)."
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

JOBS = [main_job, case_studies_job, beyond_paper_job, score_texts_job]
