"""The live progress view of `make run`, drawn with rich; plain lines where there is no terminal.

On a terminal, finished steps scroll above a live panel that shows the overall bars, each running
step (a fit with its sampling progress), the time so far and an estimate of what is left. In CI
or a pipe the same events come out as one timestamped line each, with no cursor movement.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from orchestration.console.noise import without_false_warnings
from orchestration.console.progress import RunProgress, Status, format_duration

_BAR_WIDTH = 24


class ProgressView:
    """Shows one run's `RunProgress`; `say` keeps a line, `refresh` redraws the live panel."""

    def __init__(self, console: Console, log_path: Path) -> None:
        self.console = console
        self.log_path = log_path
        self.progress: RunProgress | None = None
        self.started = time.time()
        self._live: Live | None = None

    @property
    def interactive(self) -> bool:
        return self.console.is_terminal

    def __enter__(self) -> ProgressView:
        if self.interactive:
            self._live = Live(
                get_renderable=self._render,
                console=self.console,
                refresh_per_second=4,
                transient=True,
            )
            self._live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def follow(self, progress: RunProgress) -> None:
        self.progress = progress

    def say(self, line: str) -> None:
        """Keep `line` on screen (above the live panel, or as one plain line)."""
        stamp = format_duration(time.time() - self.started)
        style = "red" if line.startswith(("FAILED", "skipped")) else None
        text = Text.assemble((f"[{stamp}] ", "dim"), (line, style or ""))
        self.console.print(text, highlight=False, soft_wrap=True)

    def _render(self) -> RenderableType:
        now = time.time()
        elapsed = format_duration(now - self.started)
        progress = self.progress
        if progress is None:
            return Text(f"Starting the run ({elapsed}): loading the Dagster definitions…")
        left = progress.estimate_remaining(now)
        eta = f"about {format_duration(left)} left" if left is not None else "estimating time left"
        fits = progress.fits
        fits_done = sum(1 for s in fits if s.status.finished)
        fits_passed = sum(1 for s in fits if s.checks_passed)

        grid = Table.grid(padding=(0, 1))
        # On a narrow terminal the phase text wraps; names, bars and times stay whole.
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, width=_BAR_WIDTH)
        grid.add_column()
        grid.add_column(no_wrap=True, justify="right", min_width=5)
        total = len(progress.steps)
        grid.add_row(
            "steps",
            ProgressBar(total=total, completed=progress.finished, width=_BAR_WIDTH),
            f"{progress.finished}/{total} done",
            "",
        )
        if fits:
            grid.add_row(
                "Stan fits",
                ProgressBar(total=len(fits), completed=fits_done, width=_BAR_WIDTH),
                f"{fits_done}/{len(fits)} sampled, {fits_passed} pass their checks",
                "",
            )
        running = progress.running()
        for step in running:
            bar: RenderableType = Spinner("dots")
            if step.sampling is not None:
                bar = ProgressBar(
                    total=step.sampling.total, completed=step.sampling.done, width=_BAR_WIDTH
                )
            grid.add_row(
                Text(step.label, style="cyan"),
                bar,
                step.phase(),
                format_duration(step.duration(now)),
            )
        if not running and progress.finished < total:
            # Between steps the run process loads the definitions or waits on a pool.
            grid.add_row(Text("next step", style="cyan"), Spinner("dots"), "starting", "")
        failed = progress.count([Status.FAILED])
        title = f"make run · {elapsed} elapsed · {eta}"
        if failed:
            title += f" · [red]{failed} failed[/]"
        footer = Text(f"full log: {self.log_path}", style="dim")
        return Panel(Group(grid, footer), title=title, title_align="left", expand=False)

    def show_errors(self, errors: list[tuple[str, str]]) -> None:
        """Each failure in full (stanc's false warnings aside), then where the whole log is."""
        for where, text in errors:
            body = without_false_warnings(text).rstrip()
            if self.interactive:
                self.console.print(
                    Panel(
                        Text(body),
                        title=f"[red]error in {escape(where)}[/]",
                        title_align="left",
                        border_style="red",
                    )
                )
            else:
                self.console.print(f"ERROR in {where}:\n{body}", highlight=False, markup=False)
        if errors:
            self.console.print(f"Full log: {self.log_path}", highlight=False, markup=False)
