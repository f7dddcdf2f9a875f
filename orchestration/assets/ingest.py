"""The four PRISM files as raw DuckDB tables, one asset per file, with rejects kept and counted."""

import dagster as dg

from orchestration.prism.files import KINDS, REJECTS_TABLE, file_spec
from orchestration.prism.load import (
    LOAD_ROW_GROUP_SIZE,
    LoadReport,
    find_prism_file,
    load_prism_file,
)
from orchestration.prism.refusal import RefusedFile
from orchestration.prism.source import ResolvedSource
from orchestration.resources import PrismSourceResource, WarehouseResource

GROUP = "prism"


def raw_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"prism_{kind}"])


def _build_ingest_asset(kind: str) -> dg.AssetsDefinition:
    spec = file_spec(kind)

    @dg.asset(
        key=raw_key(kind),
        group_name=GROUP,
        # A child file's orphans are found against its already-loaded parents.
        deps=[raw_key(parent) for parent in spec.parents],
        pool="duckdb_writer",
        description=f"PRISM's {spec.filename} as published: one row per loaded line.",
        check_specs=[dg.AssetCheckSpec("lines_reconcile", asset=raw_key(kind))],
        kinds={"duckdb"},
    )
    def _ingest(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        prism_source: PrismSourceResource,
    ):
        source = prism_source.resolve()
        if source.dataset_source == "synthetic":
            context.log.warning(f"SYNTHETIC DATA: {source.description}. Results are not PRISM's.")
        with warehouse.connect(row_group_size=LOAD_ROW_GROUP_SIZE) as con:
            path = find_prism_file(source.directory, kind)
            try:
                report = load_prism_file(
                    con,
                    kind,
                    path,
                    dataset_source=source.dataset_source,
                    dataset_revision=source.dataset_revision,
                    reject_threshold=prism_source.reject_threshold(),
                )
            except RefusedFile as refused:
                # The load rolled back: say so, so nobody goes looking for a half-written table.
                raise dg.Failure(
                    description=f"{refused}. Nothing was loaded; {spec.table} and "
                    f"{REJECTS_TABLE} keep their previous contents.",
                    metadata={"file": str(refused.path), "cause": refused.cause},
                    allow_retries=False,
                ) from refused
            loaded = con.execute(f"select count(*) from {spec.table}").fetchone()[0]
            rejected = con.execute(
                f"select count(*) from {REJECTS_TABLE} where file = ?", [spec.filename]
            ).fetchone()[0]
        yield dg.MaterializeResult(metadata=_metadata(report, source))
        reconciles = report.lines_read == loaded + rejected
        yield dg.AssetCheckResult(
            check_name="lines_reconcile",
            passed=reconciles,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "lines_read": report.lines_read,
                "rows_in_table": loaded,
                "rows_rejected": rejected,
            },
            description="Lines read equal rows loaded plus rows rejected.",
        )

    return _ingest


def _metadata(report: LoadReport, source: ResolvedSource) -> dict[str, object]:
    return {
        "dataset_source": report.dataset_source,
        "dataset_revision": report.dataset_revision,
        "source": source.description,
        "fingerprint": report.fingerprint,
        "lines_read": report.lines_read,
        "rows_loaded": report.rows_loaded,
        "rows_rejected": report.rows_rejected,
        "reject_reasons": dg.MetadataValue.json(report.reject_reasons),
        "unchanged_since_last_load": report.skipped,
        "seconds": round(report.seconds, 2),
        "preview": dg.MetadataValue.md(_preview_markdown(report.preview)),
    }


def _preview_markdown(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c])[:60] for c in columns) + " |" for row in rows]
    return "\n".join(lines)


INGEST_ASSETS = [_build_ingest_asset(kind) for kind in KINDS]
