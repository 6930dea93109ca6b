"""The rules every AD of a script keeps: one validator for the review page and for ``export``.

An AD (``index``, ``text``, ``start``, ``end`` seconds) breaks a rule when:

=============  ==================================================================================
``length``     its text is longer than :data:`MAX_CHARS` characters
``control``    its text holds control characters
``timing``     ``start`` is negative or ``end`` is after the end of the video (1 ms of slack)
``short``      it lasts less than :data:`MIN_DURATION` seconds (or ends before it starts)
``dialogue``   it overlaps a dialogue interval of the script's timeline (not an extended AD: the
               picture and its dialogue are paused while it is spoken)
``overlap``    it overlaps another AD that has text
``budget``     its words exceed ``floor(duration * words_per_second)`` (the rate the script was
               planned with, ``config.planner.words_per_second``, 2.5 by default)
``duplicate``  another AD has the same index
=============  ==================================================================================

The review page refuses an edit that breaks any rule (:mod:`.review.edits`).  ``export`` checks the
whole script before any voice or model is loaded: it refuses the rules in :data:`REFUSED_BY_EXPORT`
(two narrations at once, a text no voice can speak in its slot, cue ids that are not unique) and
warns about the others (the voice fits or shortens what is too long, and its window stops before
dialogue).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

from ..defaults import WORDS_PER_SECOND, word_budget as budget_of

MAX_CHARS = 500
MIN_DURATION = 0.5
DEFAULT_WPS = WORDS_PER_SECOND
SLACK = 1e-3  # seconds an AD may end after the video (durations are rounded to the millisecond)
REFUSED_BY_EXPORT = frozenset({"length", "timing", "overlap", "duplicate"})


@dataclass(frozen=True)
class Problem:
    """One broken rule: the AD's ``index``, the rule's ``kind`` (see the module docstring), a message."""

    index: int
    kind: str
    message: str


def words_per_second(doc: dict[str, Any]) -> float:
    """The speaking rate the script was planned with."""
    planner = doc.get("config", {}).get("planner", {}) if isinstance(doc.get("config"), dict) else {}
    wps = planner.get("words_per_second", DEFAULT_WPS) if isinstance(planner, dict) else DEFAULT_WPS
    ok = isinstance(wps, (int, float)) and not isinstance(wps, bool) and math.isfinite(wps) and wps > 0
    return float(wps) if ok else DEFAULT_WPS


def word_budget(doc: dict[str, Any], start: float, end: float) -> int:
    """How many words fit between ``start`` and ``end`` at the script's rate."""
    return budget_of(end - start, words_per_second(doc))


def _fmt(t: float) -> str:
    return f"{t:.2f} s"


def check_description(doc: dict[str, Any], index: int, text: str, start: float, end: float,
                      others: Iterable[dict[str, Any]]) -> list[Problem]:
    """The rules the AD (``index``, ``text``, ``start``, ``end``) breaks in ``doc`` beside ``others``."""
    found: list[Problem] = []

    def problem(kind: str, message: str) -> None:
        found.append(Problem(index, kind, message))

    if len(text) > MAX_CHARS:
        problem("length", f"text is {len(text)} characters; at most {MAX_CHARS}")
    if any(unicodedata.category(c) == "Cc" for c in text):
        problem("control", "text contains control characters")
    duration = float(doc["video"].get("duration") or math.inf)
    if start < 0:
        problem("timing", "start must not be negative")
    if end > duration + SLACK:
        problem("timing", f"end {_fmt(end)} is after the end of the video ({_fmt(duration)})")
    if end - start < MIN_DURATION:
        problem("short", f"the AD must last at least {MIN_DURATION} s (start must be before end)")
        return found
    for iv in doc["timeline"]["dialogue"]:
        if start < iv["end"] and iv["start"] < end:
            problem("dialogue", f"overlaps dialogue from {_fmt(iv['start'])} to {_fmt(iv['end'])}")
    for d in others:
        if d["text"] and start < d["end"] and d["start"] < end:
            problem("overlap", f"overlaps AD {d['index']} ({_fmt(d['start'])} to {_fmt(d['end'])})")
    budget = word_budget(doc, start, end)
    words = len(text.split())
    if words > budget:
        problem("budget", f"{words} words do not fit: {_fmt(end - start)} allows {budget} words "
                          f"at {words_per_second(doc):g} words per second")
    return found


def check_script(doc: dict[str, Any]) -> list[Problem]:
    """Every rule the ADs with text of ``doc`` break (a checked AD-script document), in time order;
    an overlap of two ADs is reported once, at the later one."""
    descriptions = sorted(doc["descriptions"], key=lambda d: (d["start"], d["end"]))
    found: list[Problem] = []
    seen: dict[int, int] = {}
    for d in descriptions:
        seen[d["index"]] = seen.get(d["index"], 0) + 1
    for index, count in sorted(seen.items()):
        if count > 1:
            found.append(Problem(index, "duplicate", f"{count} ADs have index {index}; each needs its own"))
    for n, d in enumerate(descriptions):
        if d["text"]:
            problems = check_description(doc, d["index"], d["text"], d["start"], d["end"], descriptions[:n])
            # an extended AD is spoken while the picture (and its dialogue) is paused
            found += [p for p in problems if not (d.get("extended") and p.kind == "dialogue")]
    return found
