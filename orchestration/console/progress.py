"""The state of one `make run`, folded from the run's events: what the progress view draws.

Nothing here talks to Dagster: `events.py` turns event-log records into `RunEvent`s and the
captured stderr of a fit into `Sampling` readings, so this mapping is tested with plain values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from statistics import fmean

FIT_PREFIX = "analysis__fit_"
# PyStan writes one line per poll to the step's stderr, summed over the chains:
# "Sampling:  45% (1800/4000)", and "Sampling: 100% (4000/4000), done." at the end.
_SAMPLING = re.compile(r"Sampling:\D*?(\d+)%\s*\((\d+)/(\d+)\)")
# Lines printed in plain (non-terminal) mode as a fit's sampling crosses them.
PLAIN_MILESTONES = (25, 50, 75)


class Status(Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self in (Status.SUCCEEDED, Status.FAILED, Status.SKIPPED)


class EventKind(Enum):
    """The Dagster events the view follows (their `DagsterEventType` values)."""

    WORKER_STARTING = "STEP_WORKER_STARTING"
    STEP_START = "STEP_START"
    STEP_SUCCESS = "STEP_SUCCESS"
    STEP_FAILURE = "STEP_FAILURE"
    STEP_SKIPPED = "STEP_SKIPPED"
    MATERIALIZATION = "ASSET_MATERIALIZATION"
    CHECK = "ASSET_CHECK_EVALUATION"
    RUN_FAILURE = "PIPELINE_FAILURE"


@dataclass(frozen=True)
class RunEvent:
    kind: EventKind
    timestamp: float
    step_key: str | None = None
    passed: bool | None = None  # a check's verdict
    error: str | None = None  # a failure's full text: message, stack and causes


@dataclass(frozen=True)
class Sampling:
    """A fit's sampling progress: iterations done over all chains, out of the total."""

    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def read_sampling(stderr: str) -> Sampling | None:
    """The newest PyStan sampling reading in `stderr`, if there is one yet."""
    readings = _SAMPLING.findall(stderr)
    if not readings:
        return None
    _, done, total = readings[-1]
    return Sampling(int(done), int(total))


def is_fit(step_key: str) -> bool:
    return step_key.startswith(FIT_PREFIX)


def label(step_key: str) -> str:
    """A short name: ``analysis__fit_top_scored__all`` -> ``fit top_scored / all``."""
    if is_fit(step_key):
        return "fit " + step_key.removeprefix(FIT_PREFIX).replace("__", " / ")
    return step_key.replace("__", "/")


def family(step_key: str) -> str:
    """Which steps take about as long as each other: a fit's analysis, else 'data'."""
    if is_fit(step_key):
        return step_key.removeprefix(FIT_PREFIX).split("__")[0]
    return "data"


@dataclass
class Step:
    key: str
    outputs: int
    status: Status = Status.PENDING
    started_at: float | None = None
    finished_at: float | None = None
    outputs_done: int = 0
    checks_passed: bool | None = None
    launching: bool = False
    sampling: Sampling | None = None
    milestone: int = 0

    @property
    def label(self) -> str:
        return label(self.key)

    def duration(self, now: float) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or now) - self.started_at

    def phase(self) -> str:
        """What a running step is doing, in a few words."""
        if self.launching:
            return "starting its process"
        if self.sampling is not None:
            s = self.sampling
            return f"sampling {s.fraction:4.0%}: {s.done:,}/{s.total:,} it. (all chains)"
        if is_fit(self.key):
            # The engine compiles silently (see modeling/pystan_build.py), so the two are one.
            return "preparing data and Stan model"
        if self.outputs > 1:
            return f"{self.outputs_done}/{self.outputs} assets and checks"
        return "running"


@dataclass
class RunProgress:
    """Every step of the run's plan with its status; `apply` folds in one event at a time."""

    steps: dict[str, Step]
    started_at: float
    workers: int = 2
    errors: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_plan(
        cls, outputs_by_step: Mapping[str, int], started_at: float, workers: int
    ) -> RunProgress:
        steps = {key: Step(key, outputs) for key, outputs in outputs_by_step.items()}
        return cls(steps, started_at, max(1, workers))

    def apply(self, event: RunEvent) -> list[str]:
        """Update the state; return the lines worth keeping on screen (finished steps, errors)."""
        if event.kind is EventKind.RUN_FAILURE:
            if event.error and not self.errors:
                self.errors.append(("run", event.error))
            return []
        step = self.steps.get(event.step_key or "")
        if step is None:
            return []
        if event.kind is EventKind.WORKER_STARTING:
            # The multiprocess executor starts a process per step, which loads the definitions
            # first (seconds on a busy machine); that wait is part of the step's wall time.
            step.status = Status.RUNNING
            step.launching = True
            step.started_at = event.timestamp
        elif event.kind is EventKind.STEP_START:
            step.status = Status.RUNNING
            step.launching = False
            if step.started_at is None:
                step.started_at = event.timestamp
        elif event.kind is EventKind.MATERIALIZATION:
            step.outputs_done += 1
        elif event.kind is EventKind.CHECK:
            step.outputs_done += 1
            if is_fit(step.key):
                step.checks_passed = event.passed
        elif event.kind is EventKind.STEP_SUCCESS:
            step.status = Status.SUCCEEDED
            step.finished_at = event.timestamp
            return [self._finished_line(step)]
        elif event.kind is EventKind.STEP_FAILURE:
            step.status = Status.FAILED
            step.finished_at = event.timestamp
            self.errors.append((step.label, event.error or "(no error text)"))
            return [self._finished_line(step)]
        elif event.kind is EventKind.STEP_SKIPPED:
            step.status = Status.SKIPPED
            step.finished_at = event.timestamp
            return [f"skipped {step.label}: an upstream step failed"]
        return []

    def finish(self, now: float) -> list[str]:
        """Close the run: steps that never started were abandoned after a failure upstream.

        Dagster records an abandoned step as a log message, not as an event, so they are only
        known for sure once the run has ended.
        """
        never_ran = [s for s in self.steps.values() if s.status is Status.PENDING]
        for step in never_ran:
            step.status = Status.SKIPPED
            step.finished_at = now
        if not never_ran:
            return []
        names = ", ".join(s.label for s in never_ran)
        return [f"skipped after the failure upstream ({len(never_ran)}): {names}"]

    def outcome(self) -> str:
        """One line on how the run's steps ended."""
        succeeded = self.count([Status.SUCCEEDED])
        line = f"{succeeded} of {len(self.steps)} steps succeeded"
        failed = self.count([Status.FAILED])
        skipped = self.count([Status.SKIPPED])
        if failed:
            line += f", {failed} failed"
        if skipped:
            line += f", {skipped} skipped"
        return line

    def observe_stderr(self, step_key: str, stderr: str) -> list[str]:
        """Fold new stderr of a running fit in; return milestone lines for plain output."""
        step = self.steps.get(step_key)
        if step is None or step.status is not Status.RUNNING:
            return []
        sampling = read_sampling(stderr)
        if sampling is None:
            return []
        step.sampling = sampling
        crossed = [m for m in PLAIN_MILESTONES if step.milestone < m <= sampling.fraction * 100]
        if not crossed:
            return []
        step.milestone = crossed[-1]
        return [f"  {step.label}: sampling {crossed[-1]}% ({sampling.done:,}/{sampling.total:,})"]

    def _finished_line(self, step: Step) -> str:
        mark = "done" if step.status is Status.SUCCEEDED else "FAILED"
        line = f"{mark} {step.label} in {format_duration(step.duration(step.finished_at or 0))}"
        if step.checks_passed is not None:
            line += ", checks passed" if step.checks_passed else ", checks FAILED"
        return line

    def count(self, statuses: Iterable[Status], *, fits_only: bool = False) -> int:
        wanted = set(statuses)
        return sum(
            1
            for s in self.steps.values()
            if s.status in wanted and (not fits_only or is_fit(s.key))
        )

    @property
    def finished(self) -> int:
        return sum(1 for s in self.steps.values() if s.status.finished)

    @property
    def fits(self) -> list[Step]:
        return [s for s in self.steps.values() if is_fit(s.key)]

    def running(self) -> list[Step]:
        return sorted(
            (s for s in self.steps.values() if s.status is Status.RUNNING),
            key=lambda s: s.started_at or 0.0,
        )

    def estimate_remaining(self, now: float) -> float | None:
        """Seconds left, from how long finished steps of the same family took in this run.

        A running fit with a sampling reading is projected from its own pace. A step whose
        family has no finished member yet borrows the mean of all finished fits (fits) or is
        unknown; while anything is unknown there is no estimate, rather than a wrong one.
        """
        done: dict[str, list[float]] = {}
        for s in self.steps.values():
            if s.status is Status.SUCCEEDED:
                done.setdefault(family(s.key), []).append(s.duration(now))
        all_fits = [d for fam, ds in done.items() if fam != "data" for d in ds]
        left: list[float] = []
        for s in self.steps.values():
            if s.status.finished:
                continue
            elapsed = s.duration(now)
            if s.sampling is not None and s.sampling.fraction >= 0.05:
                left.append(elapsed * (1 - s.sampling.fraction) / s.sampling.fraction)
                continue
            peers = done.get(family(s.key)) or (all_fits if is_fit(s.key) else None)
            if not peers:
                return None
            left.append(max(fmean(peers) - elapsed, 0.0))
        if not left:
            return 0.0
        return max(max(left), sum(left) / self.workers)


def format_duration(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}:{secs:02d}"
