"""`make run`: materialise every asset, from an empty ``data/`` to the comparison with the paper.

The run goes through the Dagster instance in ``$DAGSTER_HOME`` (the one ``make ui`` shows), so its
events, metadata and plots are there to inspect afterwards. Steps run in separate processes; the
``duckdb_writer`` pool keeps the writers to the DuckDB file one at a time.
"""

from __future__ import annotations

import sys

import dagster as dg

from orchestration import settings


def main_job() -> dg.JobDefinition:
    from orchestration.definitions import defs

    return defs.resolve_job_def("main_job")


def main() -> int:
    instance = dg.DagsterInstance.get()
    print(
        f"Warehouse: {settings.warehouse_path()}\nDagster home: {instance.root_directory}",
        flush=True,
    )
    with dg.execute_job(dg.reconstructable(main_job), instance=instance) as result:
        for event in result.all_events:
            if event.is_step_failure:
                print(
                    f"FAILED: {event.step_key}: {event.event_specific_data.error.message}",
                    file=sys.stderr,
                )
        if not result.success:
            return 1
    print(
        "Done. Open the UI with `make ui`, or query the marts and analysis tables in "
        f"{settings.warehouse_path()} (see docs/analysts.md).",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
