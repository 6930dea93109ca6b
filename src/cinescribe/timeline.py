"""Time intervals on a video's timeline, in seconds, and the set operations on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open span ``[start, end)`` in seconds."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end

    def to_dict(self) -> dict[str, float]:
        return {"start": round(self.start, 3), "end": round(self.end, 3)}


def merge(intervals: Iterable[Interval], join_gap: float = 0.0) -> list[Interval]:
    """Union of ``intervals``; spans closer than ``join_gap`` seconds are joined."""
    out: list[Interval] = []
    for iv in sorted(i for i in intervals if i.end > i.start):
        if out and iv.start <= out[-1].end + join_gap:
            if iv.end > out[-1].end:
                out[-1] = Interval(out[-1].start, iv.end)
        else:
            out.append(iv)
    return out


def complement(intervals: Iterable[Interval], start: float, end: float) -> list[Interval]:
    """The parts of ``[start, end)`` not covered by ``intervals``."""
    gaps: list[Interval] = []
    cursor = start
    for iv in merge(intervals):
        if iv.end <= cursor:
            continue
        if iv.start >= end:
            break
        if iv.start > cursor:
            gaps.append(Interval(cursor, iv.start))
        cursor = max(cursor, iv.end)
    if cursor < end:
        gaps.append(Interval(cursor, end))
    return gaps
