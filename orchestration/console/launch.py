"""The process that executes `main_job`: started by `orchestration/run.py`, writing to the log file.

Its stdout and stderr are the run's log file, and so are those of every step process Dagster
starts from it (Dagster's and dbt's logs, stanc's and PyStan's output). The tag lets the process
that draws the progress view find this run in the instance.

Usage: ``python -m orchestration.console.launch TOKEN``
"""

from __future__ import annotations

import sys

import dagster as dg

from orchestration.console.events import LAUNCH_TAG


def resolved_main_job() -> dg.JobDefinition:
    from orchestration.definitions import defs
    from orchestration.jobs import main_job

    return defs.resolve_job_def(main_job.name)


def main(argv: list[str]) -> int:
    (token,) = argv
    instance = dg.DagsterInstance.get()
    # Reconstructable, so the multiprocess executor can load the job again in each step process.
    with dg.execute_job(
        dg.reconstructable(resolved_main_job), instance=instance, tags={LAUNCH_TAG: token}
    ) as result:
        return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
