"""Progress bars for long steps, on stderr, quiet when asked or when not on a terminal."""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)

_quiet = False


def set_quiet(quiet: bool) -> None:
    """Turn all progress output off (``--quiet``) or back on."""
    global _quiet
    _quiet = quiet


@contextlib.contextmanager
def progress_bar(description: str, total: float | None) -> Iterator["Step"]:
    """A progress bar for one step; call ``advance(n)`` on the yielded object."""
    disabled = _quiet or not sys.stderr.isatty()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disabled,
        transient=False,
    )
    with progress:
        task = progress.add_task(description, total=total)
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
