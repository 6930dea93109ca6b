"""Done markers and per-video locks, kept under ``OUT_ROOT/.cinescribe-batch/``.

A video's done marker (``done/<key>.json``) is written atomically, by the worker, only
after all of the video's stages succeeded.  Its key is the video's content fingerprint and
the configuration hash (:func:`~.jobs.job_key`), so a renamed copy of a finished video is
skipped and a changed configuration redoes it.  A marker whose listed files are gone
does not count: the video is redone.

While a worker processes a video it holds an exclusive ``flock`` on ``locks/<key>.lock``;
the lock dies with the process, so a second batch on the same folder (or a worker of a
killed batch that is still finishing) never writes the same outputs at the same time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Any, Iterator

from ..atomic import write_json

STATE_DIR = ".cinescribe-batch"


class DoneMarkers:
    """The done markers and locks of one output root."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.done_dir = self.root / STATE_DIR / "done"
        self.lock_dir = self.root / STATE_DIR / "locks"

    def path(self, key: str) -> Path:
        return self.done_dir / f"{key}.json"

    def read(self, key: str) -> dict[str, Any] | None:
        """The marker of ``key`` if the video is done and its files are all still there."""
        try:
            record = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        files = record.get("files") if isinstance(record, dict) else None
        if not isinstance(files, list) or not all(isinstance(f, str) and Path(f).is_file() for f in files):
            return None
        return record

    def write(self, key: str, record: dict[str, Any]) -> Path:
        self.done_dir.mkdir(parents=True, exist_ok=True)
        return write_json(self.path(key), record)

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the exclusive lock of ``key`` (waits while another process holds it)."""
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        with open(self.lock_dir / f"{key}.lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
