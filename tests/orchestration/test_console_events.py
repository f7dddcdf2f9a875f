"""The follower reads a real Dagster run back from the instance as the view's events."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration.console.events import LAUNCH_TAG, RunFollower, find_run, plan_outputs
from orchestration.console.progress import EventKind, RunProgress, Status


@dg.asset(check_specs=[dg.AssetCheckSpec("converged", asset="analysis__fit_demo__all")])
def analysis__fit_demo__all() -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    print("Sampling:  50% (400/800)", file=sys.stderr, flush=True)
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(check_name="converged", passed=False)


@dg.asset(deps=[analysis__fit_demo__all])
def tables() -> None:
    raise ValueError("the summary could not be written: disk full")


@dg.asset(deps=[tables])
def downstream() -> None:
    pass


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test(temp_dir=str(tmp_path)) as test_instance:
        yield test_instance


def test_a_run_read_back_gives_steps_checks_failures_and_stderr(
    instance: dg.DagsterInstance,
) -> None:
    result = dg.materialize(
        [analysis__fit_demo__all, tables, downstream],
        instance=instance,
        tags={LAUNCH_TAG: "token-1"},
        raise_on_error=False,
    )
    assert not result.success
    run = find_run(instance, "token-1")
    assert run is not None and run.run_id == result.run_id
    assert find_run(instance, "another-token") is None

    outputs = plan_outputs(instance, run)
    assert set(outputs) == {"analysis__fit_demo__all", "tables", "downstream"}
    assert outputs["analysis__fit_demo__all"] == 2  # the asset and its check

    follower = RunFollower(instance, run.run_id)
    events = list(follower.new_events())
    kinds = [(e.kind, e.step_key) for e in events]
    assert (EventKind.STEP_SUCCESS, "analysis__fit_demo__all") in kinds
    assert (EventKind.STEP_FAILURE, "tables") in kinds
    check = next(e for e in events if e.kind is EventKind.CHECK)
    assert check.passed is False
    failure = next(e for e in events if e.kind is EventKind.STEP_FAILURE)
    assert failure.error is not None and "disk full" in failure.error
    assert "Traceback" in failure.error or "File " in failure.error
    # Reading again from the cursor gives nothing new.
    assert list(follower.new_events()) == []

    assert "Sampling:  50% (400/800)" in follower.stderr_tail("analysis__fit_demo__all")

    progress = RunProgress.from_plan(outputs, started_at=0.0, workers=1)
    for event in events:
        progress.apply(event)
    states = {key: step.status for key, step in progress.steps.items()}
    assert states["analysis__fit_demo__all"] is Status.SUCCEEDED
    assert states["tables"] is Status.FAILED
    # An abandoned step leaves no event; it counts as skipped once the run is over.
    assert states["downstream"] is Status.PENDING
    assert progress.finish(now=10.0) == ["skipped after the failure upstream (1): downstream"]
    assert progress.steps["downstream"].status is Status.SKIPPED
    assert progress.steps["analysis__fit_demo__all"].checks_passed is False
    assert [where for where, _ in progress.errors][0] == "tables"
