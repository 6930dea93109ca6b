"""Reviewer edits of an AD script: validation, and saving back to the JSON (atomic, with backups).

An edit changes one AD's ``text``, ``start`` and ``end`` (seconds).  It is accepted when it
breaks none of the rules of :mod:`cinescribe.export.checks` (the validator ``export`` uses too):
at most :data:`MAX_CHARS` characters without control characters; ``0 <= start < end <= video
duration`` and at least :data:`MIN_DURATION` long; no overlap with dialogue or another AD; its
words within the word budget.  Fields are strictly typed: ``index`` is a JSON integer (not
``true``, ``1.9`` or ``"1"``), ``start`` and ``end`` finite numbers, ``text`` a string.

Style findings (:mod:`.desk`) are advice shown beside the AD, not reasons to refuse an edit; every
saved document carries fresh findings.  An edit may name the writer's ``candidate`` it was picked
from; the AD's facts then become that candidate's.

:func:`save_edits` checks every edit against the document *with the other edits
applied*, refuses all of them if any fails, and otherwise keeps backups and replaces the
JSON atomically.  Backups: ``<name>.orig`` is the file as it was before the first save
(never overwritten); ``<name>.bak`` the version before the latest save, ``<name>.bak.2`` ..
``<name>.bak.5`` the ones before (:data:`BACKUPS` in all).  The file's ``revision``
(SHA-256 of its bytes) guards against overwriting a version the reviewer has not seen.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...atomic import atomic_path, write_json
from ...errors import InputError
from ..checks import DEFAULT_WPS, MAX_CHARS, MIN_DURATION, check_description, word_budget, words_per_second
from ...describe.document import read_document, script_from_dict
from .desk import choose_candidate, restyle

__all__ = ["BACKUPS", "DEFAULT_WPS", "MAX_CHARS", "MIN_DURATION", "Edit", "StaleRevision", "apply_edits", "check_edit",
           "revision", "save_edits", "validate_all", "word_budget", "words_per_second"]

BACKUPS = 5


@dataclass(frozen=True)
class Edit:
    """New text and timing for the AD of slot ``index``."""

    index: int
    text: str
    start: float
    end: float
    candidate: int | None = None  # the writer's candidate the text was picked from, if any

    def __post_init__(self) -> None:  # whitespace (newlines, runs of spaces) becomes single spaces
        object.__setattr__(self, "text", " ".join(self.text.split()))

    @classmethod
    def from_json(cls, d: Any) -> "Edit":
        """The edit in ``d``, strictly typed (see the module docstring); InputError if not."""
        if not isinstance(d, dict):
            raise InputError("an edit must be an object with index, text, start and end")
        missing = [k for k in ("index", "text", "start", "end") if k not in d]
        if missing:
            raise InputError(f"edit is missing {missing[0]!r}")
        index, text, start, end = d["index"], d["text"], d["start"], d["end"]
        if isinstance(index, bool) or not isinstance(index, int):
            raise InputError(f"edit index must be an integer (got {json_type(index)})")
        if not isinstance(text, str):
            raise InputError(f"edit text must be a string (got {json_type(text)})")
        for name, value in (("start", start), ("end", end)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"edit {name} must be a number of seconds (got {json_type(value)})")
            if not math.isfinite(value):
                raise InputError(f"edit {name} must be a finite number of seconds")
        candidate = d.get("candidate")
        if candidate is not None and (isinstance(candidate, bool) or not isinstance(candidate, int) or candidate < 0):
            raise InputError("edit candidate must be the number (0, 1, ...) of one of the AD's candidates")
        return cls(index, text, round(float(start), 3), round(float(end), 3), candidate)


def json_type(value: Any) -> str:
    """What JSON calls the type of ``value`` (for messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return {int: "an integer", float: "a fractional number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


class StaleRevision(InputError):
    """The JSON changed on disk since the reviewer loaded it."""


def revision(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_edit(doc: dict[str, Any], edit: Edit) -> list[str]:
    """Problems with ``edit`` against ``doc`` (empty list: it is valid)."""
    others = [d for d in doc["descriptions"] if int(d["index"]) != edit.index]
    if len(others) == len(doc["descriptions"]):
        return [f"there is no AD with index {edit.index}"]
    return [p.message for p in check_description(doc, edit.index, edit.text, edit.start, edit.end, others)]


def apply_edits(doc: dict[str, Any], edits: list[Edit]) -> dict[str, Any]:
    """A copy of ``doc`` with ``edits`` applied (descriptions kept in time order)."""
    out = copy.deepcopy(doc)
    by_index = {int(d["index"]): d for d in out["descriptions"]}
    for e in edits:
        d = by_index[e.index]
        changed = (d["text"], d["start"], d["end"]) != (e.text, e.start, e.end)
        d.update(text=e.text, start=e.start, end=e.end, words=len(e.text.split()),
                 word_budget=word_budget(out, e.start, e.end))
        if changed:
            d["edited"] = True
            d["reason"] = "" if e.text else "removed by the reviewer"
        if e.candidate is not None:
            choose_candidate(d, e.candidate)
    out["descriptions"].sort(key=lambda d: (d["start"], d["index"]))
    return restyle(out)


def validate_all(doc: dict[str, Any], edits: list[Edit]) -> dict[int, list[str]]:
    """Index -> problems for every edit that has any, each checked with all edits applied."""
    indices = [e.index for e in edits]
    if len(set(indices)) != len(indices):
        raise InputError("each AD may be edited once per save")
    known = {int(d["index"]) for d in doc["descriptions"]}
    missing = [i for i in indices if i not in known]
    if missing:
        return {missing[0]: [f"there is no AD with index {missing[0]}"]}
    applied = apply_edits(doc, edits)
    problems = {e.index: check_edit(applied, e) for e in edits}
    return {i: p for i, p in problems.items() if p}


def save_edits(path: Path, edits: list[Edit], expected_revision: str | None = None) -> dict[str, Any]:
    """Validate ``edits`` and write them to ``path`` (backups as in the module docstring); returns the result."""
    if expected_revision is not None and revision(path) != expected_revision:
        raise StaleRevision(f"{path.name} changed on disk since it was loaded; reload the page and edit again")
    doc = read_document(path)
    problems = validate_all(doc, edits)
    if problems:
        return {"saved": False, "errors": {str(i): p for i, p in problems.items()}}
    new = apply_edits(doc, edits)
    new.setdefault("review", {"edits": 0})
    new["review"]["edits"] = int(new["review"].get("edits", 0)) + len(edits)
    new["review"]["saved_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    script_from_dict(new, str(path))  # the saved document must load again
    backup = keep_backups(path)
    write_json(path, new)
    return {"saved": True, "errors": {}, "backup": str(backup), "revision": revision(path)}


def backup_paths(path: Path) -> list[Path]:
    """``<name>.bak``, ``<name>.bak.2`` .. ``<name>.bak.<BACKUPS>``, newest first."""
    return [path.with_name(f"{path.name}.bak" + (f".{n}" if n > 1 else "")) for n in range(1, BACKUPS + 1)]


def keep_backups(path: Path) -> Path:
    """Before ``path`` is replaced: keep it as ``.orig`` if none is kept yet, shift the ``.bak``
    copies one older (the oldest is dropped) and copy it to ``.bak``; returns the ``.bak`` path."""
    original = path.with_name(path.name + ".orig")
    if not original.exists():
        with atomic_path(original) as tmp:
            shutil.copyfile(path, tmp)
    backups = backup_paths(path)
    for older, newer in zip(reversed(backups), list(reversed(backups))[1:]):
        if newer.exists():
            os.replace(newer, older)
    with atomic_path(backups[0]) as tmp:
        shutil.copyfile(path, tmp)
    return backups[0]
