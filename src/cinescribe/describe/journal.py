"""Resume an interrupted ``describe``: an append-only journal of the slots already written.

The journal is a JSON-lines file beside the outputs (``.<name>.ad.journal.jsonl``).  Its
first line names the run (a hash of the video fingerprint, the subtitle file, the
configuration, the model ids and the cinescribe version); each further line is one
finished slot's description, flushed to disk as soon as it is written.  A journal of a
different run is discarded; a torn last line (the process was killed mid-write) is
ignored.  The journal is deleted once the outputs are written, and when a run fails before
it recorded any slot (e.g. on a full disk, whose write errors name the journal).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..atomic import WRITE_ERRNOS, write_error
from .script import AudioDescription


def run_key(parts: dict[str, Any]) -> str:
    """A stable hash of everything that decides what a run writes."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


class SlotJournal:
    """Finished slots of one run, kept on disk, with the model ids that described them."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = Path(path)
        self.key = key
        self.models: dict[str, str] = {}
        self._fh = None

    def load(self) -> dict[int, dict[str, Any]]:
        """Slot index -> description dict of the slots this run already finished."""
        if not self.path.exists():
            return {}
        done: dict[int, dict[str, Any]] = {}
        with self.path.open(encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        try:
            header = json.loads(lines[0])
        except (json.JSONDecodeError, IndexError):
            return {}
        if header.get("run") != self.key:
            return {}
        self.models = dict(header.get("models", {}))
        for line in lines[1:]:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("index"), int):
                done[record["index"]] = record
        return done

    def append(self, description: AudioDescription, resumed: dict[int, dict[str, Any]]) -> None:
        """Record one finished slot (the file is rewritten with ``resumed`` first if it is stale)."""
        if self._fh is None:
            self._fh = self.path.open("w", encoding="utf-8")
            self._write({"run": self.key, "models": self.models})
            for record in resumed.values():
                self._write(record)
        self._write(description.to_dict())

    def _write(self, record: dict[str, Any]) -> None:
        try:
            self._fh.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            if exc.errno in WRITE_ERRNOS:
                raise write_error(self.path, exc) from None
            raise

    def close(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):  # a full disk already failed the write that matters
                self._fh.close()
            self._fh = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def remove_if_empty(self) -> None:
        """Delete the journal if it records no finished slot (nothing to resume)."""
        self.close()
        if self.path.exists() and not self.load():
            self.path.unlink(missing_ok=True)
