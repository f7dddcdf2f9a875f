"""The process that executes a job (`main_job` unless named): started by `orchestration/run.py`,
writing to the log file.

Its stdout and stderr are the run's log file, and so are those of every step process Dagster
starts from it (Dagster's and dbt's logs, stanc's and PyStan's output). The tag lets the process
that draws the progress view find this run in the instance.

Usage: ``python -m orchestration.console.launch TOKEN [JOB]``
"""

from __future__ import annotations

import sys

import dagster as dg

from orchestration.console.events import LAUNCH_TAG
from orchestration.jobs import case_studies_job, main_job


def _resolved(name: str) -> dg.JobDefinition:
    from orchestration.definitions import defs

    return defs.resolve_job_def(name)


# One module-level function per job: `reconstructable` needs a target it can import by name.
def resolved_main_job() -> dg.JobDefinition:
    return _resolved(main_job.name)


def resolved_case_studies_job() -> dg.JobDefinition:
    return _resolved(case_studies_job.name)


LAUNCHABLE = {
    main_job.name: resolved_main_job,
    case_studies_job.name: resolved_case_studies_job,
}


def main(argv: list[str]) -> int:
    token, *rest = argv
    job = rest[0] if rest else main_job.name
    if job not in LAUNCHABLE:
        raise SystemExit(f"unknown job {job!r}: expected one of {', '.join(LAUNCHABLE)}")
    instance = dg.DagsterInstance.get()
    # Reconstructable, so the multiprocess executor can load the job again in each step process.
    with dg.execute_job(
        dg.reconstructable(LAUNCHABLE[job]), instance=instance, tags={LAUNCH_TAG: token}
    ) as result:
        return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
