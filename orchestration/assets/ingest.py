"""The four PRISM files as raw DuckDB tables, one asset per file, with rejects kept and counted."""


from functools import cache

import dagster as dg

from orchestration.prism.files import PRISM_FILES
from orchestration.prism.load import load_prism_file
from orchestration.prism.source import ResolvedSource, resolve_source
from orchestration.resources import PrismSourceResource, WarehouseResource

# Loading order matters: a child file's orphans are found against its already-loaded parents.
PARENTS: dict[str, tuple[str, ...]] = {
    "survey": (),
    "conversations": ("survey",),
    "utterances": ("survey", "conversations"),
    "metadata": ("survey", "conversations", "utterances"),
}


@cache
def _resolve(setting: str) -> ResolvedSource:
    # One resolution per process: every ingest step of a run sees the same files and revision.
    return resolve_source(setting)


def raw_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"prism_{kind}"])


def _build_ingest_asset(kind: str) -> dg.AssetsDefinition:
    spec = PRISM_FILES[kind]

    @dg.asset(
        key=raw_key(kind),
        group_name="prism",
        deps=[raw_key(parent) for parent in PARENTS[kind]],
        pool="duckdb_writer",
        description=f"PRISM's {spec.file_name} as published, one row per loaded line (raw.prism_{kind}).",
        check_specs=[dg.AssetCheckSpec("lines_reconcile", asset=raw_key(kind))],
        kinds={"duckdb"},
    )
    def _ingest(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        prism_source: PrismSourceResource,
    ):
        source = _resolve(prism_source.setting())
        if source.dataset_source == "synthetic":
            context.log.warning(f"SYNTHETIC DATA: {source.description}. Results are not PRISM's.")
        with warehouse.connect() as con:
            report = load_prism_file(
                con,
                kind,
                source.directory / spec.file_name,
                dataset_source=source.dataset_source,
                dataset_revision=source.dataset_revision,
            )
            loaded = con.execute(f"select count(*) from raw.prism_{kind}").fetchone()[0]
            rejected = con.execute(
                "select count(*) from raw.prism_rejects where file = ?", [spec.file_name]
            ).fetchone()[0]
        yield dg.MaterializeResult(metadata=report.dagster_metadata())
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


INGEST_ASSETS = [_build_ingest_asset(kind) for kind in PARENTS]
