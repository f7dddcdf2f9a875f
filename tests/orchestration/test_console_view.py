"""The progress view where there is no terminal (CI, a pipe): plain lines, no cursor movement."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from orchestration.console.progress import EventKind, RunEvent, RunProgress
from orchestration.console.view import ProgressView

STANC = (
    "Warning: The parameter b has no priors. This means either no prior is\n"
    "    provided, or the prior(s) depend on data variables.\n"
)


def plain_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=False, width=100), out


def test_without_a_terminal_each_event_is_one_plain_line(tmp_path: Path) -> None:
    console, out = plain_console()
    progress = RunProgress.from_plan({"analysis__fit_log_score__all": 2}, 0.0, workers=1)
    with ProgressView(console, tmp_path / "run.log") as view:
        assert not view.interactive
        view.follow(progress)
        progress.apply(RunEvent(EventKind.STEP_START, 0.0, "analysis__fit_log_score__all"))
        for line in progress.apply(
            RunEvent(EventKind.STEP_SUCCESS, 42.0, "analysis__fit_log_score__all")
        ):
            view.say(line)
    text = out.getvalue()
    assert "\x1b" not in text  # no colours, no cursor movement
    assert text.splitlines()[-1].endswith("] done fit log_score / all in 0:42")


def test_errors_are_shown_whole_without_stanc_noise_and_with_the_log_path(tmp_path: Path) -> None:
    console, out = plain_console()
    error = "Traceback (most recent call last):\n" + STANC + "ValueError: no rows for subset x"
    view = ProgressView(console, tmp_path / "run.log")
    view.show_errors([("fit top_scored / all", error)])
    text = out.getvalue()
    assert "ERROR in fit top_scored / all:" in text
    assert "Traceback (most recent call last):" in text
    assert "ValueError: no rows for subset x" in text
    assert "has no priors" not in text
    assert text.rstrip().endswith(f"Full log: {tmp_path / 'run.log'}")
