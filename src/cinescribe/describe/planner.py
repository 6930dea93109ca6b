"""AD slot planning: where in the timeline a description can be spoken, and how long it may be.

Input: the video's duration, dialogue intervals (speech activity joined with subtitle
cues) and shot-cut times, all in seconds.  Output: :class:`Slot` objects, each a span
clear of dialogue with a word budget.

Rules (in order):
1. Gaps are the parts of ``[0, duration)`` not covered by dialogue.
2. A gap is shrunk by ``speech_margin`` at each side that touches dialogue, so an AD
   never starts or ends on a spoken word.
3. Gaps shorter than ``min_gap`` (1.2 s by default) are dropped.
4. A gap longer than ``max_slot`` is split at the shot cuts inside it: shot pieces are
   merged left to right while the merged piece stays within ``max_slot``, and a piece
   shorter than ``min_gap`` always joins its neighbour.  A piece still longer than
   ``max_slot`` (no cut inside) is split into equal parts no longer than ``max_slot``.
5. The word budget is ``floor(duration * words_per_second)`` (2.5 words/s by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from ..defaults import WORDS_PER_SECOND, word_budget
from ..errors import InputError, show_number
from ..timeline import Interval, complement


@dataclass(frozen=True)
class PlannerConfig:
    """Tunable rules of the planner; see the module docstring."""

    min_gap: float = 1.2
    words_per_second: float = WORDS_PER_SECOND
    speech_margin: float = 0.1
    max_slot: float = 8.0

    def validate(self) -> None:
        """Every value finite and in range (NaN or infinity would end in a JSON that is not JSON)."""
        limits = {"min-gap": (self.min_gap, 0.0, 600.0, False), "words-per-second": (self.words_per_second, 0.0, 10.0, False),
                  "speech-margin": (self.speech_margin, 0.0, 10.0, True), "max-slot": (self.max_slot, 0.0, 3600.0, False)}
        for name, (value, low, high, zero_ok) in limits.items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high
                    and (zero_ok or value > low)):
                raise InputError(f"--{name} must be a number {'from' if zero_ok else 'above'} {low:g} "
                                 f"{'to' if zero_ok else 'and at most'} {high:g} (got {show_number(value)})")
        if self.max_slot < self.min_gap:
            raise InputError(f"--max-slot ({show_number(self.max_slot)}) must be at least --min-gap "
                             f"({show_number(self.min_gap)})")


@dataclass(frozen=True)
class Slot:
    """One place for an AD: ``[start, end)`` seconds and the most words that fit."""

    index: int
    start: float
    end: float
    word_budget: int

    @property
    def duration(self) -> float:
        return self.end - self.start


def _split_at_cuts(gap: Interval, cuts: Sequence[float], cfg: PlannerConfig) -> list[Interval]:
    inner = sorted(c for c in cuts if gap.start < c < gap.end)
    edges = [gap.start, *inner, gap.end]
    pieces = [Interval(a, b) for a, b in zip(edges, edges[1:])]
    merged: list[Interval] = []
    for piece in pieces:
        if merged:
            last = merged[-1]
            joined = Interval(last.start, piece.end)
            if last.duration < cfg.min_gap or joined.duration <= cfg.max_slot:
                merged[-1] = joined
                continue
        merged.append(piece)
    if len(merged) > 1 and merged[-1].duration < cfg.min_gap:
        tail = merged.pop()
        merged[-1] = Interval(merged[-1].start, tail.end)
    return merged


def _split_evenly(piece: Interval, max_slot: float) -> list[Interval]:
    n = math.ceil(piece.duration / max_slot - 1e-9)
    step = piece.duration / n
    return [Interval(piece.start + i * step, piece.start + (i + 1) * step) for i in range(n)]


def plan_slots(
    duration: float,
    dialogue: Sequence[Interval],
    cuts: Sequence[float] = (),
    cfg: PlannerConfig = PlannerConfig(),
) -> list[Slot]:
    """AD slots of a ``duration``-second video with the given dialogue and shot cuts."""
    cfg.validate()
    spans: list[Interval] = []
    for gap in complement(dialogue, 0.0, duration):
        start = gap.start + (cfg.speech_margin if gap.start > 0 else 0.0)
        end = gap.end - (cfg.speech_margin if gap.end < duration else 0.0)
        if end - start < cfg.min_gap:
            continue
        gap = Interval(start, end)
        pieces = _split_at_cuts(gap, cuts, cfg) if gap.duration > cfg.max_slot else [gap]
        for piece in pieces:
            spans.extend(_split_evenly(piece, cfg.max_slot) if piece.duration > cfg.max_slot else [piece])
    slots = []
    for i, span in enumerate(spans):
        start = math.ceil(span.start * 1000 - 1e-6) / 1000  # milliseconds, rounded inwards
        end = math.floor(span.end * 1000 + 1e-6) / 1000
        slots.append(Slot(i, start, end, word_budget(end - start, cfg.words_per_second)))
    return slots
