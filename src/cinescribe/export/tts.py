"""Speak each AD so that it fits its slot, and never over dialogue.

**Window.** An AD may speak from its slot's start until the earlier of the slot's end and
the start of the next dialogue interval of the script's timeline, less ``guard`` seconds
(0.05 s by default).  The planner already keeps slots clear of dialogue; the window
also holds for timings a reviewer edited.

**Fitting rule** (:func:`fit_description`), for each AD with text:

1. Speak it at rate 1.0 and measure the voiced length (silence trimmed).
2. If it is longer than the window, speak it again at ``rate = length / window * 1.03``,
   capped at ``max_rate`` (1.35 by default: faster than that is hard to follow), and if
   still too long (voices do not speed up exactly in proportion) at ``max_rate``.
3. If it still does not fit, shorten the text by one clause and go back to step 1.
   Clauses are the parts of the sentence between commas or semicolons outside quotes
   (``"In close-up, a smiling person appears, with a cup in view."`` has three).  The
   clause dropped is the one whose facts are least salient: a clause carries a fact of
   the AD's JSON ``facts`` when it contains one of the fact's ``words``; a clause that
   carries no fact counts as salience 0; ties go to the later clause.
4. When one clause is left and it still does not fit at ``max_rate``, the AD is not
   voiced at all (status ``skipped``): cutting words out of a clause makes it wrong.

Every AD gets a :class:`Spoken` record (status ``fits``, ``faster``, ``shortened`` or
``skipped``, the rate, the spoken text, the facts no longer voiced) for the export report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..describe.facts import Fact
from ..describe.script import ADScript, AudioDescription
from ..errors import InputError
from ..progress import progress_bar
from ..timeline import Interval
from .voices import Voice


@dataclass(frozen=True)
class FitConfig:
    """How far speech may be sped up, and the gap kept before the window's end (seconds)."""

    max_rate: float = 1.35
    guard: float = 0.05

    def validate(self) -> None:
        if not 1.0 <= self.max_rate <= 2.0:
            raise InputError(f"--max-rate must be between 1.0 and 2.0 (got {self.max_rate})")
        if not 0.0 <= self.guard <= 1.0:
            raise InputError(f"--guard must be between 0 and 1 second (got {self.guard})")


@dataclass
class Spoken:
    """One AD as voiced: ``audio`` is ``(samples,)`` float32 mono at ``sample_rate``, starting at ``start``."""

    index: int
    start: float
    window: float
    text: str
    spoken_text: str
    status: str
    rate: float
    sample_rate: int
    audio: np.ndarray = field(repr=False)
    dropped_facts: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    @property
    def end(self) -> float:
        return self.start + self.duration

    def report(self) -> dict:
        return {
            "index": self.index,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "window_s": round(self.window, 3),
            "speech_s": round(self.duration, 3),
            "rate": round(self.rate, 3),
            "status": self.status,
            "text": self.text,
            "spoken_text": self.spoken_text,
            "dropped_facts": self.dropped_facts,
        }


def speech_window(start: float, end: float, dialogue: Sequence[Interval], guard: float) -> float:
    """Seconds available from ``start``: to ``end`` or the next dialogue, less ``guard``."""
    stop = end
    for iv in dialogue:
        if iv.end > start and iv.start < stop:
            stop = max(start, iv.start)
    return max(0.0, stop - start - guard)


def split_clauses(text: str) -> list[str]:
    """The clauses of ``text``: split at ``,`` or ``;`` outside double quotes, trimmed."""
    clauses, current, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch in "“”":
            quoted = ch == "“"
        if ch in ",;" and not quoted:
            clauses.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    clauses.append("".join(current).strip())
    return [c for c in clauses if c]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9][a-z0-9'\-]*", text.lower()))


def _clause_salience(clause: str, facts: Sequence[Fact]) -> float:
    words = _words(clause)
    return max((f.salience for f in facts if words & {w.lower() for w in f.words}), default=0.0)


def _sentence(clauses: Sequence[str]) -> str:
    text = ", ".join(clauses).rstrip(" .!?;,")
    return text[:1].upper() + text[1:] + "."


def shorten(text: str, facts: Sequence[Fact]) -> str | None:
    """``text`` less its least salient clause (see the module docstring); None if one clause is left."""
    clauses = split_clauses(text)
    if len(clauses) < 2:
        return None
    scores = [_clause_salience(c, facts) for c in clauses]
    drop = max(i for i, s in enumerate(scores) if s == min(scores))
    return _sentence([c for i, c in enumerate(clauses) if i != drop])


def _dropped(original: str, spoken: str, facts: Sequence[Fact]) -> list[str]:
    said, had = _words(spoken), _words(original)
    return [f.key for f in facts if had & {w.lower() for w in f.words} and not said & {w.lower() for w in f.words}]


def fit_description(voice: Voice, d: AudioDescription, window: float, cfg: FitConfig = FitConfig()) -> Spoken:
    """Voice ``d`` within ``window`` seconds by the fitting rule of the module docstring."""
    candidate: str | None = d.text
    while candidate:
        audio, rate = voice.synthesize(candidate, 1.0), 1.0
        length = len(audio) / voice.sample_rate
        if length > window and window > 0:
            for rate in (min(cfg.max_rate, length / window * 1.03), cfg.max_rate):
                audio = voice.synthesize(candidate, rate)
                if len(audio) / voice.sample_rate <= window:
                    break
        if 0 < len(audio) / voice.sample_rate <= window:
            status = "shortened" if candidate != d.text else ("faster" if rate > 1.0 else "fits")
            return Spoken(d.slot.index, d.slot.start, window, d.text, candidate, status, rate, voice.sample_rate,
                          audio, _dropped(d.text, candidate, d.facts))
        candidate = shorten(candidate, d.facts)
    return Spoken(d.slot.index, d.slot.start, window, d.text, "", "skipped", cfg.max_rate, voice.sample_rate,
                  np.zeros(0, dtype=np.float32), _dropped(d.text, "", d.facts))


def speak_script(script: ADScript, voice: Voice, cfg: FitConfig = FitConfig()) -> list[Spoken]:
    """Every AD of ``script`` that has text, voiced and fitted, in time order."""
    cfg.validate()
    spoken = []
    with progress_bar("Speaking ADs", total=len(script.spoken)) as bar:
        for d in script.spoken:
            window = speech_window(d.slot.start, d.slot.end, script.dialogue, cfg.guard)
            spoken.append(fit_description(voice, d, window, cfg))
            bar.advance()
    return spoken
