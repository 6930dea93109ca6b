"""Reviewer edits of an AD script: validation, and saving back to the JSON (atomic, with a backup).

An edit changes one AD's ``text``, ``start`` and ``end`` (seconds).  It is accepted when:

* the text is at most :data:`MAX_CHARS` characters, without control characters;
* ``0 <= start < end <= video duration`` and the AD lasts at least :data:`MIN_DURATION`;
* it overlaps no dialogue interval of the script's timeline and no other AD;
* its words fit the word budget ``floor(duration * words_per_second)`` (the rate the
  script was planned with, ``config.planner.words_per_second``, 2.5 by default).

:func:`save_edits` checks every edit against the document *with the other edits
applied*, refuses all of them if any fails, and otherwise copies the current file to
``<name>.bak`` and replaces the JSON atomically.  The file's ``revision`` (SHA-256 of
its bytes) guards against overwriting a version the reviewer has not seen.
"""

from __future__ import annotations

import copy
import hashlib
import math
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...atomic import atomic_path, write_json
from ...errors import InputError
from ..document import read_json, script_from_dict

MAX_CHARS = 500
MIN_DURATION = 0.5
DEFAULT_WPS = 2.5


@dataclass(frozen=True)
class Edit:
    """New text and timing for the AD of slot ``index``."""

    index: int
    text: str
    start: float
    end: float

    def __post_init__(self) -> None:  # whitespace (newlines, runs of spaces) becomes single spaces
        object.__setattr__(self, "text", " ".join(self.text.split()))

    @classmethod
    def from_json(cls, d: Any) -> "Edit":
        if not isinstance(d, dict):
            raise InputError("an edit must be an object with index, text, start and end")
        try:
            index, text = int(d["index"]), d["text"]
            start, end = float(d["start"]), float(d["end"])
        except KeyError as exc:
            raise InputError(f"edit is missing {exc.args[0]!r}") from None
        except (TypeError, ValueError):
            raise InputError("edit fields have the wrong type: index is an integer, start and end are numbers") from None
        if not isinstance(text, str):
            raise InputError("edit text must be a string")
        if not (math.isfinite(start) and math.isfinite(end)):
            raise InputError("edit start and end must be finite numbers of seconds")
        return cls(index, text, round(start, 3), round(end, 3))


class StaleRevision(InputError):
    """The JSON changed on disk since the reviewer loaded it."""


def revision(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def words_per_second(doc: dict[str, Any]) -> float:
    planner = doc.get("config", {}).get("planner", {}) if isinstance(doc.get("config"), dict) else {}
    wps = planner.get("words_per_second", DEFAULT_WPS) if isinstance(planner, dict) else DEFAULT_WPS
    return float(wps) if isinstance(wps, (int, float)) and wps > 0 else DEFAULT_WPS


def word_budget(doc: dict[str, Any], start: float, end: float) -> int:
    return int(math.floor((end - start) * words_per_second(doc) + 1e-9))


def _fmt(t: float) -> str:
    return f"{t:.2f} s"


def check_edit(doc: dict[str, Any], edit: Edit) -> list[str]:
    """Problems with ``edit`` against ``doc`` (empty list: it is valid)."""
    errors: list[str] = []
    others = [d for d in doc["descriptions"] if int(d["index"]) != edit.index]
    if len(others) == len(doc["descriptions"]):
        return [f"there is no AD with index {edit.index}"]
    if len(edit.text) > MAX_CHARS:
        errors.append(f"text is {len(edit.text)} characters; at most {MAX_CHARS}")
    if any(unicodedata.category(c) == "Cc" for c in edit.text):
        errors.append("text contains control characters")
    duration = float(doc["video"].get("duration") or math.inf)
    if edit.start < 0:
        errors.append("start must not be negative")
    if edit.end > duration + 1e-6:
        errors.append(f"end {_fmt(edit.end)} is after the end of the video ({_fmt(duration)})")
    if edit.end - edit.start < MIN_DURATION:
        errors.append(f"the AD must last at least {MIN_DURATION} s (start must be before end)")
        return errors
    for iv in doc["timeline"]["dialogue"]:
        if edit.start < iv["end"] and iv["start"] < edit.end:
            errors.append(f"overlaps dialogue from {_fmt(iv['start'])} to {_fmt(iv['end'])}")
    for d in others:
        if d["text"] and edit.start < d["end"] and d["start"] < edit.end:
            errors.append(f"overlaps AD {d['index']} ({_fmt(d['start'])} to {_fmt(d['end'])})")
    budget = word_budget(doc, edit.start, edit.end)
    words = len(edit.text.split())
    if words > budget:
        errors.append(f"{words} words do not fit: {_fmt(edit.end - edit.start)} allows {budget} words "
                      f"at {words_per_second(doc):g} words per second")
    return errors


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
    out["descriptions"].sort(key=lambda d: (d["start"], d["index"]))
    return out


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
    """Validate ``edits`` and write them to ``path`` (backup ``<name>.bak``); returns the result."""
    if expected_revision is not None and revision(path) != expected_revision:
        raise StaleRevision(f"{path.name} changed on disk since it was loaded; reload the page and edit again")
    doc = read_json(path)
    problems = validate_all(doc, edits)
    if problems:
        return {"saved": False, "errors": {str(i): p for i, p in problems.items()}}
    new = apply_edits(doc, edits)
    new.setdefault("review", {"edits": 0})
    new["review"]["edits"] = int(new["review"].get("edits", 0)) + len(edits)
    new["review"]["saved_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    script_from_dict(new, str(path))  # the saved document must load again
    backup = path.with_name(path.name + ".bak")
    with atomic_path(backup) as tmp:
        shutil.copyfile(path, tmp)
    write_json(path, new)
    return {"saved": True, "errors": {}, "backup": str(backup), "revision": revision(path)}
