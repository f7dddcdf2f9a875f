"""How the run's events become the progress view's state, lines and estimate."""

from __future__ import annotations

import pytest

from orchestration.console.noise import without_false_warnings
from orchestration.console.progress import (
    EventKind,
    RunEvent,
    RunProgress,
    Sampling,
    Status,
    format_duration,
    label,
    read_sampling,
)

FIT_A = "analysis__fit_top_scored__all"
FIT_B = "analysis__fit_top_scored__unguided"
FIT_C = "analysis__fit_log_score__all"
DBT = "dbt_warehouse"


def plan() -> RunProgress:
    return RunProgress.from_plan({DBT: 4, FIT_A: 2, FIT_B: 2, FIT_C: 2}, started_at=0.0, workers=2)


def event(kind: EventKind, at: float, step: str, **fields: object) -> RunEvent:
    return RunEvent(kind, at, step, **fields)  # type: ignore[arg-type]


def test_a_step_goes_from_pending_to_running_to_done_with_its_duration() -> None:
    progress = plan()
    assert progress.steps[DBT].status is Status.PENDING
    assert progress.apply(event(EventKind.STEP_START, 10.0, DBT)) == []
    assert progress.steps[DBT].status is Status.RUNNING
    progress.apply(event(EventKind.MATERIALIZATION, 11.0, DBT))
    progress.apply(event(EventKind.CHECK, 12.0, DBT, passed=True))
    assert progress.steps[DBT].phase() == "2/4 assets and checks"
    lines = progress.apply(event(EventKind.STEP_SUCCESS, 85.0, DBT))
    assert lines == ["done dbt_warehouse in 1:15"]
    assert progress.finished == 1
    assert progress.steps[DBT].checks_passed is None  # only a fit's check is its verdict


def test_a_step_process_starting_counts_as_running_and_as_part_of_its_time() -> None:
    progress = plan()
    progress.apply(event(EventKind.WORKER_STARTING, 5.0, FIT_A))
    assert progress.steps[FIT_A].status is Status.RUNNING
    assert progress.steps[FIT_A].phase() == "starting its process"
    progress.apply(event(EventKind.STEP_START, 12.0, FIT_A))
    assert progress.steps[FIT_A].phase() == "preparing data and Stan model"
    assert progress.steps[FIT_A].duration(now=25.0) == 20.0


def test_a_fit_reports_its_convergence_check_when_it_finishes() -> None:
    progress = plan()
    progress.apply(event(EventKind.STEP_START, 0.0, FIT_A))
    progress.apply(event(EventKind.CHECK, 59.0, FIT_A, passed=False))
    lines = progress.apply(event(EventKind.STEP_SUCCESS, 60.0, FIT_A))
    assert lines == ["done fit top_scored / all in 1:00, checks FAILED"]
    assert progress.count([Status.SUCCEEDED], fits_only=True) == 1


def test_a_failure_keeps_its_full_error_for_the_end() -> None:
    progress = plan()
    progress.apply(event(EventKind.STEP_START, 0.0, FIT_C))
    error = "ValueError: bad data\n  File 'fit.py', line 3"
    lines = progress.apply(event(EventKind.STEP_FAILURE, 5.0, FIT_C, error=error))
    assert lines == ["FAILED fit log_score / all in 0:05"]
    assert progress.errors == [("fit log_score / all", error)]
    # The run's own failure message adds nothing when a step already said what went wrong.
    progress.apply(RunEvent(EventKind.RUN_FAILURE, 6.0, None, error="Steps failed"))
    assert len(progress.errors) == 1


def test_events_of_steps_outside_the_plan_are_ignored() -> None:
    progress = plan()
    assert progress.apply(event(EventKind.STEP_SUCCESS, 1.0, "some_other_step")) == []
    assert progress.finished == 0


def test_pystan_progress_is_read_from_the_newest_line() -> None:
    stderr = (
        "Building: found in cache, done.\nMessages from stanc:\n"
        "Sampling:   0%\nSampling:  25% (200/800)\n\x1b[1ASampling:  50% (400/800)\n"
    )
    assert read_sampling(stderr) == Sampling(400, 800)
    assert read_sampling("Sampling:   0%") is None
    assert read_sampling("Sampling: 100% (800/800), done.") == Sampling(800, 800)


def test_sampling_progress_shows_while_running_and_milestones_print_once() -> None:
    progress = plan()
    progress.apply(event(EventKind.STEP_START, 0.0, FIT_A))
    assert progress.observe_stderr(FIT_A, "Building...") == []
    assert progress.steps[FIT_A].phase() == "preparing data and Stan model"
    lines = progress.observe_stderr(FIT_A, "Sampling:  55% (440/800)")
    assert lines == ["  fit top_scored / all: sampling 50% (440/800)"]
    assert progress.observe_stderr(FIT_A, "Sampling:  60% (480/800)") == []
    assert progress.steps[FIT_A].phase() == "sampling  60%: 480/800 it. (all chains)"
    # A fit that is not running (finished, or not started) takes no reading.
    assert progress.observe_stderr(FIT_B, "Sampling:  10% (80/800)") == []


def test_no_estimate_until_a_fit_has_finished_then_one_from_the_finished_fits() -> None:
    progress = plan()
    progress.apply(event(EventKind.STEP_START, 0.0, DBT))
    progress.apply(event(EventKind.STEP_SUCCESS, 20.0, DBT))
    assert progress.estimate_remaining(now=20.0) is None
    progress.apply(event(EventKind.STEP_START, 20.0, FIT_A))
    progress.apply(event(EventKind.STEP_SUCCESS, 120.0, FIT_A))  # 1a took 100 s
    progress.apply(event(EventKind.STEP_START, 120.0, FIT_B))
    progress.apply(event(EventKind.STEP_START, 120.0, FIT_C))
    # At 140 s: FIT_B (same analysis as FIT_A) has 80 s left; FIT_C borrows the fits' mean, 80 s
    # left; two workers share 160 s, and no single step needs longer than 80 s.
    assert progress.estimate_remaining(now=140.0) == pytest.approx(80.0)
    # A sampling reading replaces the borrowed guess: 40% after 20 s leaves 30 s.
    progress.observe_stderr(FIT_C, "Sampling:  40% (320/800)")
    assert progress.estimate_remaining(now=140.0) == pytest.approx(80.0)
    progress.apply(event(EventKind.STEP_SUCCESS, 150.0, FIT_B))
    assert progress.estimate_remaining(now=150.0) == pytest.approx(45.0)


def test_steps_that_never_started_count_as_skipped_once_the_run_ends() -> None:
    progress = plan()
    progress.apply(event(EventKind.STEP_START, 0.0, DBT))
    progress.apply(event(EventKind.STEP_FAILURE, 1.0, DBT, error="boom"))
    lines = progress.finish(now=2.0)
    assert lines == [
        "skipped after the failure upstream (3): fit top_scored / all, "
        "fit top_scored / unguided, fit log_score / all"
    ]
    assert progress.finished == 4
    assert progress.outcome() == "0 of 4 steps succeeded, 1 failed, 3 skipped"


def test_labels_and_durations_read_well() -> None:
    assert label("analysis__fit_mirroring__response_toxicity") == (
        "fit mirroring / response_toxicity"
    )
    assert label("raw__prism_survey") == "raw/prism_survey"
    assert format_duration(59.6) == "1:00"
    assert format_duration(3725) == "1h02m"


def test_stanc_no_prior_warnings_are_dropped_and_other_warnings_kept() -> None:
    text = (
        "Building...\n"
        "Warning: The parameter sd_user has no priors. This means either no prior\n"
        "    is provided, or the prior(s) depend on data variables. In the later case,\n"
        "    this may be a false positive.\n"
        "Warning in 'model.stan', line 98, column 20: The\n"
        "    variable r_group may not have been assigned a value before its use.\n"
        "Sampling: 100% (800/800), done.\n"
    )
    assert without_false_warnings(text).splitlines() == [
        "Building...",
        "Warning in 'model.stan', line 98, column 20: The",
        "    variable r_group may not have been assigned a value before its use.",
        "Sampling: 100% (800/800), done.",
    ]
