"""Progress bars for long steps, on stderr, quiet when asked or when not on a terminal.

:func:`progress_bar` is one bar for one step; :func:`new_progress` is the display it uses, for a
caller that keeps several bars at once (a batch: one for the whole run, one per running video).
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Iterator

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

console = Console(stderr=True)

_quiet = False


def set_quiet(quiet: bool) -> None:
    """Turn all progress output off (``--quiet``) or back on."""
    global _quiet
    _quiet = quiet


def new_progress(show: bool = True) -> Progress:
    """The one progress display: description, bar, done of total, elapsed and remaining time;
    shown only when ``show`` and not quiet (:func:`set_quiet`) and stderr is a terminal (rich's progress
    module is imported here, on the first bar: commands without one start faster)."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show or _quiet or not sys.stderr.isatty(),
        transient=False,
    )


@contextlib.contextmanager
def progress_bar(description: str, total: float | None) -> Iterator["Step"]:
    """A progress bar for one step; call ``advance(n)`` on the yielded object."""
    progress = new_progress()
    with progress:
        task = progress.add_task(f"[bold]{description}", total=total)
        yield Step(progress, task)


class Step:
    """Handle on one progress bar."""

    def __init__(self, progress: Progress, task: int) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: float = 1.0) -> None:
        self._progress.advance(self._task, amount)

    def update(self, completed: float) -> None:
        self._progress.update(self._task, completed=completed)
