"""Text-attribute scores (``raw.text_scores``) as one incremental, quota-aware Dagster asset.

The work is done by the ``scoring`` library; this module only chooses the scorer and turns
progress into log lines and materialisation metadata. The API key reaches the library through
``PerspectiveResource`` (``orchestration/resources.py``) and never appears in config, logs or
metadata. The job and schedule that drain the backlog are in ``orchestration/jobs.py`` and
``orchestration/schedules.py``.
"""

# No ``from __future__ import annotations``: Dagster reads the run config class from the asset
# function's live annotations and cannot resolve it from a string.
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import dagster as dg
import duckdb

from orchestration.resources import PerspectiveResource, PrismSourceResource, WarehouseResource
from scoring.attributes import PAPER_ATTRIBUTES
from scoring.importers import ImportReport, import_scores, score_files
from scoring.runner import PERSPECTIVE_SCORER, Progress, ScoringConfig, run_scoring
from scoring.store import ScoreStore
from scoring.texts import TEXTS_TABLE

GROUP = "scores"
SCORES_KEY = dg.AssetKey(["raw", "text_scores"])
TEXTS_KEY = dg.AssetKey(["staging", "stg_prism__texts"])
SYNTHETIC_SCORE_FILE = "perspective_scores.csv"
SYNTHETIC_NAME = "synthetic"


class ScoringRunConfig(dg.Config):
    """Which scorer fills ``raw.text_scores`` in this run, and how."""

    scorer: Literal["auto", "perspective", "imported", "synthetic"] = "auto"
    path: str = ""
    import_name: str = ""
    attributes: list[str] = list(PAPER_ATTRIBUTES)
    qps: float | None = None
    concurrency: int | None = None
    max_requests: int | None = None
    run_window_minutes: float | None = None
    oversize: Literal["truncate", "skip"] = "truncate"
    language: Literal["per_language", "force_english"] = "per_language"
    progress_interval_seconds: float = 30.0


def _dataset_sources(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute(f"select distinct dataset_source from {TEXTS_TABLE}").fetchall()
    return {r[0] for r in rows if r[0] is not None}


def _choose_scorer(config: ScoringRunConfig, key: str | None, sources: set[str]) -> str:
    if config.scorer != "auto":
        return config.scorer
    # Generated texts must never be sent to the paid API; their scores ship with them.
    if "synthetic" in sources:
        return "synthetic"
    if key:
        return "perspective"
    if config.path:
        return "imported"
    raise dg.Failure(
        "No scorer available: set PERSPECTIVE_API_KEY to score with Perspective, or give "
        "config 'scorer: imported' with 'path' (a score file or a directory of them)."
    )


def _synthetic_file(config: ScoringRunConfig, prism_source: PrismSourceResource) -> Path:
    if config.path:
        given = Path(config.path)
        return given / SYNTHETIC_SCORE_FILE if given.is_dir() else given
    # Resolved exactly as the ingest assets resolve it, so the scores belong to the same texts.
    source = prism_source.resolve()
    if source.dataset_source != "synthetic":
        raise dg.Failure(
            f"scorer 'synthetic' needs a synthetic dataset, but PRISM_SOURCE resolves to "
            f"{source.dataset_source}; use 'perspective' or 'imported'."
        )
    return source.directory / SYNTHETIC_SCORE_FILE


def _import_name(path: Path, given: str) -> str:
    return given or re.sub(r"[^a-z0-9_.-]+", "_", path.stem.lower()).strip("_") or "file"


def _store_metadata(store: ScoreStore, scorer_prefix: str) -> dict[str, dg.MetadataValue]:
    conn = store.conn
    by_attribute = conn.execute(
        "select scorer, attribute, count(*), round(avg(value), 4) from raw.text_scores "
        "where scorer like ? group by 1, 2 order by 1, 2",
        [f"{scorer_prefix}%"],
    ).fetchall()
    failures = conn.execute(
        "select outcome, error_type, count(*) from raw.text_score_failures "
        "where scorer like ? group by 1, 2 order by 1, 2",
        [f"{scorer_prefix}%"],
    ).fetchall()
    table_rows = conn.execute("select count(*) from raw.text_scores").fetchone()
    preview = "\n".join(
        ["| scorer | attribute | scores | mean |", "|---|---|---|---|"]
        + [f"| {s} | {a} | {n} | {m} |" for s, a, n, m in by_attribute]
    )
    return {
        "dagster/row_count": dg.MetadataValue.int(int(table_rows[0]) if table_rows else 0),
        "scores_by_attribute": dg.MetadataValue.md(preview),
        "failures_by_type": dg.MetadataValue.json(
            {f"{outcome}:{error_type}": n for outcome, error_type, n in failures}
        ),
    }


def _progress_metadata(progress: Progress) -> dict[str, dg.MetadataValue]:
    eta = progress.eta_seconds
    return {
        "texts_planned": dg.MetadataValue.int(progress.planned),
        "texts_done": dg.MetadataValue.int(progress.done),
        "texts_remaining": dg.MetadataValue.int(progress.remaining),
        "texts_scored": dg.MetadataValue.int(progress.scored),
        "requests": dg.MetadataValue.int(progress.requests),
        "requests_per_second": dg.MetadataValue.float(round(progress.requests_per_second, 3)),
        "errors_by_type": dg.MetadataValue.json(dict(progress.errors)),
        "retries_by_type": dg.MetadataValue.json(dict(progress.retried)),
        "eta_seconds": dg.MetadataValue.float(round(eta, 1) if eta is not None else -1.0),
    }


def _import_metadata(reports: list[ImportReport]) -> dict[str, dg.MetadataValue]:
    return {
        "files": dg.MetadataValue.json(
            [
                {
                    "file": r.file,
                    "scorer": r.scorer,
                    "scorer_version": r.scorer_version,
                    "shape": r.shape,
                    "rows_read": r.rows_read,
                    "rows_loaded": r.rows_loaded,
                    "rows_rejected": r.rows_rejected,
                    "columns_rejected": r.columns_rejected,
                    "scores_changed": r.scores_changed,
                }
                for r in reports
            ]
        ),
        "rows_rejected": dg.MetadataValue.int(sum(r.rows_rejected for r in reports)),
    }


@dg.asset(
    key=SCORES_KEY,
    group_name=GROUP,
    deps=[TEXTS_KEY],
    pool="duckdb_writer",
    kinds={"duckdb"},
)
def text_scores(
    context: dg.AssetExecutionContext,
    config: ScoringRunConfig,
    warehouse: WarehouseResource,
    perspective: PerspectiveResource,
    prism_source: PrismSourceResource,
) -> dg.MaterializeResult:
    """Attribute scores per distinct text, attribute and scorer, with failures and rejects."""
    key = perspective.key()
    with warehouse.connect() as conn:
        store = ScoreStore(conn)
        scorer = _choose_scorer(config, key, _dataset_sources(conn))
        context.log.info(f"scorer for this run: {scorer}")
        if scorer in ("imported", "synthetic"):
            if scorer == "synthetic":
                files, name = [_synthetic_file(config, prism_source)], SYNTHETIC_NAME
            else:
                if not config.path:
                    raise dg.Failure("scorer 'imported' needs config 'path' (file or directory)")
                given = Path(config.path)
                files, name = (
                    (score_files(given) if given.is_dir() else [given]),
                    config.import_name,
                )
            reports = []
            for path in files:
                report = import_scores(store, path, _import_name(path, name))
                context.log.info(
                    f"imported {report.file} as {report.scorer}: {report.rows_loaded} rows loaded, "
                    f"{report.rows_rejected} rejected, {report.scores_changed} scores changed"
                )
                reports.append(report)
            metadata = {
                "scorer": dg.MetadataValue.text(scorer),
                **_import_metadata(reports),
                **_store_metadata(store, "imported:"),
            }
            return dg.MaterializeResult(metadata=metadata)

        if not key:
            raise dg.Failure("scorer 'perspective' needs PERSPECTIVE_API_KEY to be set")
        qps = config.qps if config.qps is not None else perspective.rate()
        budget = config.max_requests
        if config.run_window_minutes is not None:
            window_budget = int(qps * 60 * config.run_window_minutes)
            budget = window_budget if budget is None else min(budget, window_budget)
        run_config = ScoringConfig(
            attributes=tuple(config.attributes),
            base_url=perspective.base_url(),
            qps=qps,
            concurrency=config.concurrency,
            max_requests=budget,
            oversize=config.oversize,
            language=config.language,
            progress_interval=config.progress_interval_seconds,
        )
        report = run_scoring(
            store,
            key,
            run_config,
            on_progress=lambda p: context.log.info(f"scoring progress: {p.summary()}"),
        )
        metadata = {
            "scorer": dg.MetadataValue.text(PERSPECTIVE_SCORER),
            "endpoint": dg.MetadataValue.text(run_config.scorer_version),
            "request_budget": dg.MetadataValue.int(budget if budget is not None else -1),
            **_progress_metadata(report.progress),
            **_store_metadata(store, PERSPECTIVE_SCORER),
        }
    if report.aborted:
        raise dg.Failure(description=f"scoring stopped: {report.aborted}", metadata=metadata)
    return dg.MaterializeResult(metadata=metadata)


def text_scores_run_config(config: Mapping[str, object]) -> dict[str, object]:
    """Run config that hands ``config`` (fields of ``ScoringRunConfig``) to ``raw/text_scores``.

    The op's name is taken from the asset itself, so schedules and sensors never spell it.
    """
    return {"ops": {text_scores.op.name: {"config": dict(config)}}}
