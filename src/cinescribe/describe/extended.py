"""Extended AD: where essential picture information has no gap, pause the picture to describe it.

The essential moments (what a describer must say when it appears) are a scene's opening (where
the story now is), on-screen text (a title, a sign, a caption) and a character's first
appearance.  Every one of them that this module knows of starts at a shot's opening: a scene
opens with a shot, a title card is a shot, a face is first seen in the shot that shows it.

Input: the shots and scenes, the AD slots planned in the dialogue gaps, the dialogue intervals,
the recognised words (to pause between two words, never inside one) and the planner's speaking
rate.  Output: :class:`ExtendedSlot` s, one per essential moment that no slot covers.

1. :func:`uncovered_openings`: every shot opening ``t`` that no slot covers -- a moment is covered
   when a slot contains it or starts within ``window`` seconds after it -- as a :class:`Moment`
   whose picture is the shot's first ``window`` seconds; a scene's opening carries the reason
   ``scene`` already.
2. The caller measures the pictures and keeps the moments with a reason (:func:`essential`): the
   picture holds on-screen text (``text``), or a character is first seen in it
   (``character:<id>``).  Other shot openings under dialogue get no pause: a describer would
   not stop the film for them.
3. :func:`plan_pauses`: each kept moment gets a pause:

   * ``pause_at``: ``t`` if no dialogue is heard then; else the end of the first word, at or after
     ``t``, followed by a pause of at least ``WORD_GAP`` s (the end of the dialogue interval when
     no word timing says better), provided it comes within ``window`` seconds;
   * ``pause_s``: the time to speak ``words`` words at the planner's rate, plus ``margin`` at each end.

   The AD's slot (its timing in the script) is ``[pause_at, pause_at + pause_s]``, cut short where
   the next regular slot starts (at least ``MIN_SLOT`` s, else the moment is left undescribed);
   two moments that would pause at the same point share the first one's pause.  The indices
   follow the regular slots', so a script planned without pauses is unchanged.

:func:`plan_extended` is steps 1 and 3 for scene openings alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ..defaults import word_budget
from ..timeline import Interval
from .planner import Slot

WORD_GAP = 0.12
MIN_SLOT = 0.5
REASON_WORDS = {"scene": "the scene opens", "text": "on-screen text appears", "character": "a character is first seen"}


@dataclass(frozen=True)
class ExtendedConfig:
    """``words``: the pause's word budget; ``window``: how soon after a moment its AD must start."""

    words: int = 6
    window: float = 2.0
    margin: float = 0.25


@dataclass(frozen=True)
class Moment:
    """An essential moment candidate: a shot opening at ``t`` whose first seconds are ``picture``;
    ``reasons``: ``scene``, ``text``, ``character:<id>`` (none yet: not known to be essential)."""

    t: float
    picture: Interval
    reasons: tuple[str, ...] = ()

    def with_reasons(self, *more: str) -> "Moment":
        return replace(self, reasons=tuple(dict.fromkeys(self.reasons + tuple(more))))


@dataclass(frozen=True)
class ExtendedSlot:
    """A pause of the picture: the AD's timing ``slot``, the ``picture`` it describes, why
    (``reason`` in words, ``pause_for``: the moment's reasons)."""

    slot: Slot
    picture: Slot
    pause_at: float
    pause_s: float
    reason: str
    pause_for: tuple[str, ...] = ("scene",)


def _covered(t: float, slots: Sequence[Slot], window: float) -> bool:
    return any(s.start <= t < s.end or t <= s.start <= t + window for s in slots)


def uncovered_openings(shots: Sequence[Interval], scenes: Sequence[Interval], slots: Sequence[Slot],
                       duration: float, cfg: ExtendedConfig = ExtendedConfig()) -> list[Moment]:
    """The shot openings no slot covers, in time order; scene openings carry the reason ``scene``."""
    opens_scene = {round(s.start, 3) for s in scenes}
    moments = []
    for shot in shots:
        t = shot.start
        if t >= duration or _covered(t, slots, cfg.window):
            continue
        picture = Interval(t, min(shot.end, t + cfg.window, duration))
        moments.append(Moment(t, picture, ("scene",) if round(t, 3) in opens_scene else ()))
    return moments


def essential(moment: Moment, texts: Sequence[str], first_seen: Sequence[str]) -> Moment:
    """``moment`` with the reasons its measured picture gives: on-screen ``texts`` read in it, the
    ids of the characters ``first_seen`` in it."""
    return moment.with_reasons(*(["text"] if any(t.strip() for t in texts) else []),
                               *(f"character:{cid}" for cid in first_seen))


def first_appearances(sightings: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Per character id, the earliest time among its ``(id, t)`` sightings."""
    first: dict[str, float] = {}
    for cid, t in sightings:
        first[cid] = min(t, first.get(cid, t))
    return first


def describe_reasons(reasons: Sequence[str], labels: dict[str, str] | None = None) -> str:
    """The reasons in words, e.g. "on-screen text appears; c2 (a woman) is first seen"."""
    said = []
    for r in reasons:
        kind, _, cid = r.partition(":")
        if kind == "character" and cid:
            said.append(f"{cid} ({labels[cid]}) is first seen" if labels and cid in labels else f"{cid} is first seen")
        else:
            said.append(REASON_WORDS.get(kind, r))
    return "; ".join(said)


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


def plan_pauses(moments: Sequence[Moment], slots: Sequence[Slot], dialogue: Sequence[Interval],
                word_spans: Sequence[Interval], duration: float, words_per_second: float,
                cfg: ExtendedConfig = ExtendedConfig(), labels: dict[str, str] | None = None) -> list[ExtendedSlot]:
    """The pauses the ``moments`` with a reason need; see the module docstring (``labels``: the
    characters' labels by id, for the reason in words)."""
    pause_s = round(cfg.words / words_per_second + 2 * cfg.margin, 3)
    first = max((s.index for s in slots), default=-1) + 1
    planned: list[ExtendedSlot] = []
    for m in sorted(moments, key=lambda m: m.t):
        if not m.reasons:
            continue
        at = _pause_point(m.t, dialogue, word_spans, cfg.window)
        if at is None or at >= duration or (planned and planned[-1].pause_at >= at):
            continue
        later = [s.start for s in slots if s.start > at]
        end = min([at + pause_s, duration] + later)
        if end - at < MIN_SLOT:
            continue
        index = first + len(planned)
        budget = word_budget(pause_s, words_per_second)
        picture = Slot(index, m.picture.start, m.picture.end, budget)
        planned.append(ExtendedSlot(Slot(index, round(at, 3), round(end, 3), budget), picture, round(at, 3),
                                    pause_s, f"{describe_reasons(m.reasons, labels)} with no gap for its AD",
                                    m.reasons))
    return planned


def plan_extended(scenes: Sequence[Interval], slots: Sequence[Slot], dialogue: Sequence[Interval],
                  word_spans: Sequence[Interval], duration: float, words_per_second: float,
                  cfg: ExtendedConfig = ExtendedConfig()) -> list[ExtendedSlot]:
    """The pauses the scene openings alone need (each scene taken as one shot)."""
    moments = uncovered_openings(scenes, scenes, slots, duration, cfg)
    return plan_pauses(moments, slots, dialogue, word_spans, duration, words_per_second, cfg)


def mark_extended(description, extended: ExtendedSlot):
    """``description`` (written for ``extended.picture``) as the extended AD of ``extended``."""
    return replace(description, slot=extended.slot, extended=True, pause_at=extended.pause_at,
                   pause_s=extended.pause_s, pause_for=list(extended.pause_for),
                   reason=f"{description.reason}; extended: {extended.reason}" if description.reason else
                   f"extended: {extended.reason}")
