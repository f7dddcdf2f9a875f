"""Follow a run through the Dagster instance: its plan, its events, and its fits' stderr.

The run executes in another process (see `orchestration/run.py`); this side only reads what that
process stores in ``$DAGSTER_HOME``: the run record found by a tag, the execution plan snapshot
(how many steps, and how many assets and checks each one yields), the event log after a cursor,
and each step's captured stderr, where PyStan prints its sampling progress.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry

from orchestration.console.progress import EventKind, RunEvent

LAUNCH_TAG = "prism/launch"
_FOLLOWED = {DagsterEventType(kind.value) for kind in EventKind} | {DagsterEventType.LOGS_CAPTURED}
# A fit's stderr is read from its last bytes: PyStan's newest line is all the view needs.
_STDERR_TAIL_BYTES = 4096


def find_run(instance: dg.DagsterInstance, token: str) -> dg.DagsterRun | None:
    records = instance.get_run_records(dg.RunsFilter(tags={LAUNCH_TAG: token}), limit=1)
    return records[0].dagster_run if records else None


def plan_outputs(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dict[str, int]:
    """Each step of the run's plan and the number of outputs (assets and checks) it yields."""
    if run.execution_plan_snapshot_id is None:
        return {}
    snapshot = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    return {step.key: max(len(step.outputs), 1) for step in snapshot.steps}


def to_run_event(entry: EventLogEntry) -> RunEvent | None:
    """The view's reading of one stored event, or None for events it does not follow."""
    event = entry.dagster_event
    if event is None:
        return None
    try:
        kind = EventKind(event.event_type_value)
    except ValueError:
        return None
    passed = None
    error = None
    if kind is EventKind.CHECK:
        passed = bool(event.asset_check_evaluation_data.passed)
    elif kind is EventKind.STEP_FAILURE:
        error = event.step_failure_data.error.to_string() if event.step_failure_data.error else None
    elif kind is EventKind.RUN_FAILURE:
        data = event.event_specific_data
        info = getattr(data, "error", None)
        error = info.to_string() if info is not None else event.message
    return RunEvent(kind, entry.timestamp, event.step_key, passed, error)


@dataclass
class RunFollower:
    """Reads what is new in one run's event log and in its steps' captured stderr."""

    instance: dg.DagsterInstance
    run_id: str
    cursor: str | None = None
    log_keys: dict[str, list[str]] = field(default_factory=dict)

    def new_events(self) -> Iterator[RunEvent]:
        while True:
            connection = self.instance.get_records_for_run(
                self.run_id, cursor=self.cursor, of_type=_FOLLOWED, limit=500
            )
            self.cursor = connection.cursor
            for record in connection.records:
                entry = record.event_log_entry
                event = entry.dagster_event
                if event is not None and event.event_type is DagsterEventType.LOGS_CAPTURED:
                    data = event.logs_captured_data
                    key = self.instance.compute_log_manager.build_log_key_for_run(
                        self.run_id, data.file_key
                    )
                    for step_key in data.step_keys or []:
                        self.log_keys[step_key] = list(key)
                    continue
                converted = to_run_event(entry)
                if converted is not None:
                    yield converted
            if not connection.has_more:
                return

    def stderr_tail(self, step_key: str) -> str:
        """The last few KB of what the step wrote to stderr so far ('' before it starts)."""
        key = self.log_keys.get(step_key)
        if key is None:
            return ""
        manager = self.instance.compute_log_manager
        metadata = manager.get_log_metadata(key)
        path = metadata.stderr_location
        if not path:
            return ""
        try:
            with open(path, "rb") as handle:
                handle.seek(0, 2)
                size = handle.tell()
                handle.seek(max(size - _STDERR_TAIL_BYTES, 0))
                return handle.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def run_status(self) -> dg.DagsterRunStatus | None:
        run = self.instance.get_run_by_id(self.run_id)
        return run.status if run is not None else None
