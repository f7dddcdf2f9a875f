"""Text-attribute scoring as a plain library (no Dagster import).

Perspective client, rate limiting and retries, the DuckDB score store and score-file importers
(the fake Perspective server the tests run against is ``tests/scoring/fake_perspective.py``).
The Dagster asset in ``orchestration/assets/scoring.py``
is a thin wrapper around :func:`run_scoring` and :func:`import_scores`.
"""

from scoring.attributes import KNOWN_ATTRIBUTES, MAX_COMMENT_BYTES, PAPER_ATTRIBUTES
from scoring.client import AnalyzeResult, PerspectiveClient
from scoring.errors import RunAbortedError, ScoringError, TextRejectedError, TransientError
from scoring.importers import ImportReport, ScoreImportError, import_scores
from scoring.pacing import RatePolicy, RetryPolicy
from scoring.runner import Progress, RunReport, ScoringConfig, run_scoring, score_pending
from scoring.store import ScoreStore

__all__ = [
    "KNOWN_ATTRIBUTES",
    "MAX_COMMENT_BYTES",
    "PAPER_ATTRIBUTES",
    "AnalyzeResult",
    "ImportReport",
    "PerspectiveClient",
    "Progress",
    "RatePolicy",
    "RetryPolicy",
    "RunAbortedError",
    "RunReport",
    "ScoreImportError",
    "ScoreStore",
    "ScoringConfig",
    "ScoringError",
    "TextRejectedError",
    "TransientError",
    "import_scores",
    "run_scoring",
    "score_pending",
]
