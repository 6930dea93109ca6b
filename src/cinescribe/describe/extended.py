"""Extended AD: where essential picture information has no gap, pause the picture to describe it.

Input: the scenes (their openings are the essential moments: a describer must say where a new
scene is), the AD slots planned in the dialogue gaps, the dialogue intervals, the recognised
words (to pause between two words, never inside one) and the planner's speaking rate.
Output: :class:`ExtendedSlot` s, one per essential moment that no slot covers.

A moment ``t`` is covered when a slot contains it or starts within ``window`` seconds after it.
An uncovered moment gets a pause:

* ``pause_at``: ``t`` if no dialogue is heard then; else the end of the first word, at or after
  ``t``, followed by a pause of at least ``WORD_GAP`` s (the end of the dialogue interval when no
  word timing says better), provided it comes within ``window`` seconds;
* ``pause_s``: the time to speak ``words`` words at the planner's rate, plus ``margin`` at each end;
* the picture the AD describes: ``[t, t + window]`` (the scene's first seconds).

The AD's slot (its timing in the script) is ``[pause_at, pause_at + pause_s]``, cut short where the
next regular slot starts (at least ``MIN_SLOT`` s, else the moment is left undescribed); its index
follows the regular slots', so a script planned without pauses is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ..defaults import word_budget
from ..timeline import Interval
from .planner import Slot

WORD_GAP = 0.12
MIN_SLOT = 0.5


@dataclass(frozen=True)
class ExtendedConfig:
    """``words``: the pause's word budget; ``window``: how soon after a moment its AD must start."""

    words: int = 6
    window: float = 2.0
    margin: float = 0.25


@dataclass(frozen=True)
class ExtendedSlot:
    """A pause of the picture: the AD's timing ``slot``, the ``picture`` it describes, why."""

    slot: Slot
    picture: Slot
    pause_at: float
    pause_s: float
    reason: str


def _pause_point(t: float, dialogue: Sequence[Interval], word_spans: Sequence[Interval], window: float) -> float | None:
    speaking = next((iv for iv in dialogue if iv.start <= t < iv.end), None)
    if speaking is None:
        return t
    words = sorted(w for w in word_spans if w.end > t)
    for w, nxt in zip(words, words[1:] + [None]):
        if w.end > t + window:
            break
        if nxt is None or nxt.start - w.end >= WORD_GAP:
            return w.end
    return speaking.end if speaking.end <= t + window else None


def plan_extended(scenes: Sequence[Interval], slots: Sequence[Slot], dialogue: Sequence[Interval],
                  word_spans: Sequence[Interval], duration: float, words_per_second: float,
                  cfg: ExtendedConfig = ExtendedConfig()) -> list[ExtendedSlot]:
    """The pauses the essential moments need; see the module docstring."""
    pause_s = round(cfg.words / words_per_second + 2 * cfg.margin, 3)
    first = max((s.index for s in slots), default=-1) + 1
    planned: list[ExtendedSlot] = []
    for n, scene in enumerate(scenes):
        t = scene.start
        if any(s.start <= t < s.end or t <= s.start <= t + cfg.window for s in slots):
            continue
        at = _pause_point(t, dialogue, word_spans, cfg.window)
        if at is None or at >= duration or (planned and planned[-1].pause_at >= at):
            continue
        later = [s.start for s in slots if s.start > at]
        end = min([at + pause_s, duration] + later)
        if end - at < MIN_SLOT:
            continue
        index = first + len(planned)
        budget = word_budget(pause_s, words_per_second)
        picture = Slot(index, t, min(scene.end, t + cfg.window, duration), budget)
        planned.append(ExtendedSlot(Slot(index, round(at, 3), round(end, 3), budget), picture, round(at, 3),
                                    pause_s, f"scene {n} opens with no gap for its AD"))
    return planned


def mark_extended(description, extended: ExtendedSlot):
    """``description`` (written for ``extended.picture``) as the extended AD of ``extended``."""
    return replace(description, slot=extended.slot, extended=True, pause_at=extended.pause_at,
                   pause_s=extended.pause_s,
                   reason=f"{description.reason}; extended: {extended.reason}" if description.reason else
                   f"extended: {extended.reason}")
