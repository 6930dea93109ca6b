"""The batch report: ``OUT_ROOT/batch-report.json`` (rewritten atomically as videos finish) and a table
(printed, and written to ``batch-report.txt`` when the batch ends).

One row per video: its status (``done`` in this run, ``skipped`` because an earlier run or
an identical file already did it, ``failed`` after its last attempt; ``pending``/``running``
while the batch runs), the attempts made in this run, the one-line error, the seconds of
work and per stage, and the output folder.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..atomic import write_json, write_text

SCHEMA = "cinescribe.batch-report/1"
REPORT_NAME = "batch-report.json"
STATUSES = ("done", "skipped", "failed", "running", "pending")
TABLE_ROWS = 40
TABLE_WIDTH = 160  # characters per line of batch-report.txt


@dataclass
class VideoRow:
    """One video's line of the report."""

    video: str
    outdir: str
    status: str = "pending"
    attempts: int = 0
    error: str = ""
    seconds: float = 0.0
    video_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    fingerprint: str = ""
    worker: str = ""


class BatchReport:
    """The rows of a batch plus what the run was; ``save()`` writes the JSON atomically."""

    def __init__(self, root: Path, base: Path, rows: list[VideoRow], info: dict[str, Any]) -> None:
        self.path = root / REPORT_NAME
        self.base = base
        self.rows = rows
        self.info = info
        self.started = dt.datetime.now(dt.timezone.utc)
        self.wall_seconds = 0.0

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.rows) for s in STATUSES}

    @property
    def failed(self) -> int:
        return self.counts()["failed"]

    def throughput(self) -> float:
        """Video-minutes described in this run per wall-clock minute (0 before any)."""
        done = sum(r.video_seconds for r in self.rows if r.status == "done")
        return done / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            **self.info,
            "started": self.started.isoformat(timespec="seconds"),
            "wall_s": round(self.wall_seconds, 3),
            "counts": self.counts(),
            "video_minutes_done": round(sum(r.video_seconds for r in self.rows if r.status == "done") / 60, 3),
            "video_minutes_per_wall_minute": round(self.throughput(), 3),
            "videos": [asdict(r) for r in self.rows],
        }

    def save(self) -> Path:
        return write_json(self.path, self.to_dict())

    def save_table(self) -> Path:
        """The table as plain text beside the JSON (``batch-report.txt``), for runs nobody watched."""
        buffer = io.StringIO()
        Console(file=buffer, width=TABLE_WIDTH, no_color=True).print(self.table())
        return write_text(self.path.with_suffix(".txt"), buffer.getvalue())

    def table(self) -> Table:
        """Failed videos first, then the others, at most :data:`TABLE_ROWS` lines; paths relative to ``base``."""
        c = self.counts()
        title = (f"{len(self.rows)} videos: {c['done']} done, {c['skipped']} skipped, {c['failed']} failed"
                 + (f", {c['pending'] + c['running']} not finished" if c["pending"] + c["running"] else ""))
        table = Table(title=title)
        for name, justify in (("video", "left"), ("status", "left"), ("attempts", "right"), ("seconds", "right"),
                              ("error", "left")):
            table.add_column(name, justify=justify)
        order = sorted(self.rows, key=lambda r: r.status != "failed")
        colour = {"done": "green", "skipped": "cyan", "failed": "red"}
        for r in order[:TABLE_ROWS]:
            status = f"[{colour.get(r.status, 'yellow')}]{r.status}[/]"
            table.add_row(escape(os.path.relpath(r.video, self.base)), status, str(r.attempts), f"{r.seconds:.1f}",
                          escape(r.error))
        if len(order) > TABLE_ROWS:
            table.add_row("…", "", "", "", f"[dim]{len(order) - TABLE_ROWS} more in {escape(str(self.path))}[/]")
        return table
