"""`make run`: materialise every asset, from an empty ``data/`` to the comparison with the paper;
with ``--job case_studies_job`` (`make case-studies`), PRISM's own case studies instead.

The job runs in a child process (`orchestration.console.launch`) whose stdout and stderr are the
log file ``data/logs/run-<time>.log``; this process draws the progress view from what the run
stores in the Dagster instance. Why a child process rather than `execute_job` here with a
listener: every byte the run writes (Dagster's DEBUG logs, dbt, stanc, PyStan, and the step
processes Dagster forks) lands in the log through the operating system, with no redirection of
this process's own streams, so the terminal carries the view and nothing else; and a run that
dies hard (killed, out of memory) cannot take the view down with it. Why the event log rather
than parsing the log text: it is Dagster's structured record of the run, the one the UI reads,
so steps, checks and failures arrive typed and complete, with each failure's full error.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from rich.console import Console
from rich.markup import escape

from orchestration import settings
from orchestration.console.events import RunFollower, find_run, plan_outputs
from orchestration.console.noise import without_false_warnings
from orchestration.console.progress import RunProgress, is_fit
from orchestration.console.summary import case_study_lines, read_summary, summary_lines
from orchestration.console.view import ProgressView
from orchestration.jobs import beyond_paper_job, case_studies_job, main_job

POLL_SECONDS = 0.5
# How much of the log's end to show when the run failed before Dagster recorded why.
LOG_TAIL_LINES = 60
# After Ctrl-C the child (same process group) stops its steps; give it this long.
INTERRUPT_GRACE_SECONDS = 60


def new_log_path() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = settings.data_dir() / "logs" / f"run-{stamp}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def start_run(token: str, log_path: Path, job: str) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "orchestration.console.launch", token, job],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def follow(
    child: subprocess.Popen[bytes], instance: dg.DagsterInstance, token: str, view: ProgressView
) -> RunProgress | None:
    """Mirror the run into `view` until the child exits; the final state, None if no run began."""
    progress: RunProgress | None = None
    follower: RunFollower | None = None
    while True:
        exited = child.poll() is not None
        if follower is None and (run := find_run(instance, token)) is not None:
            progress = RunProgress.from_plan(
                plan_outputs(instance, run), started_at=time.time(), workers=os.cpu_count() or 1
            )
            follower = RunFollower(instance, run.run_id)
            view.follow(progress)
            view.say(
                f"run {run.run_id}: {len(progress.steps)} steps, {len(progress.fits)} of them "
                "Stan fits"
            )
        if follower is not None and progress is not None:
            for event in follower.new_events():
                for line in progress.apply(event):
                    view.say(line)
            for step in progress.running():
                if is_fit(step.key):
                    milestones = progress.observe_stderr(step.key, follower.stderr_tail(step.key))
                    if not view.interactive:
                        for line in milestones:
                            view.say(line)
        if exited:
            if progress is not None:
                for line in progress.finish(time.time()):
                    view.say(line)
                view.say(progress.outcome())
            return progress
        time.sleep(POLL_SECONDS)


def log_tail(log_path: Path) -> str:
    lines = log_path.read_text(errors="replace").splitlines()
    return without_false_warnings("\n".join(lines[-LOG_TAIL_LINES:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.run")
    parser.add_argument(
        "--job",
        choices=[main_job.name, case_studies_job.name, beyond_paper_job.name],
        default=main_job.name,
    )
    job = parser.parse_args(argv).job
    console = Console(highlight=False)
    log_path = new_log_path()
    warehouse = settings.warehouse_path()
    instance = dg.DagsterInstance.get()
    console.print(
        f"Warehouse: {warehouse}\nDagster home: {instance.root_directory}\nFull log: {log_path}",
        markup=False,
    )
    token = uuid.uuid4().hex
    child = start_run(token, log_path, job)
    try:
        with ProgressView(console, log_path) as view:
            progress = follow(child, instance, token, view)
            returncode = child.wait()
            errors = list(progress.errors) if progress is not None else []
            if returncode != 0 and not errors:
                errors.append(("the run (end of the log)", log_tail(log_path)))
        view.show_errors(errors)
    except KeyboardInterrupt:
        try:
            child.wait(timeout=INTERRUPT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.terminate()
            child.wait()
        console.print(f"Interrupted. Full log: {log_path}", markup=False)
        return 130

    if returncode != 0:
        console.print(
            "[red]The run failed[/]; the analysis tables were not rebuilt. "
            f"Full log: {escape(str(log_path))}"
        )
        return 1
    if job == case_studies_job.name:
        from orchestration.assets.case_studies import case_studies_dir

        console.print()
        for line in case_study_lines(
            warehouse=warehouse, plots_dir=case_studies_dir(), log_path=log_path
        ):
            console.print(line)
        return 0
    from orchestration.assets.analysis import fits_dir

    summary = read_summary(warehouse, fits_dir() / "figures")
    planned = len(progress.fits) if progress is not None else 0
    console.print()
    for line in summary_lines(
        summary, planned_fits=planned, warehouse=warehouse, log_path=log_path
    ):
        console.print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
