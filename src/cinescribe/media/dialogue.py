"""Where dialogue is: speech activity (kept where words were recognised in it) joined with subtitle cues.

Input: speech intervals (from :func:`.vad.detect_speech`) and subtitle cues (from
:func:`.subtitles.parse_subtitles`), seconds.  Output: the sorted union as
non-overlapping intervals; intervals closer than ``join_gap`` seconds are joined
(a breath between two sentences is not room for a description).  Zero-length cues
are ignored.
"""

from __future__ import annotations

from typing import Iterable

from ..timeline import Interval, merge
from .subtitles import Cue


def dialogue_intervals(speech: Iterable[Interval], cues: Iterable[Cue] = (), *,
                       join_gap: float = 0.3) -> list[Interval]:
    """Union of ``speech`` and ``cues`` with gaps shorter than ``join_gap`` joined."""
    if join_gap < 0:
        raise ValueError("join_gap must not be negative")
    spans = list(speech) + [Interval(c.start, c.end) for c in cues if c.end > c.start]
    return merge(spans, join_gap=join_gap)


def heard_speech(speech: Iterable[Interval], words: Iterable[Interval]) -> list[Interval]:
    """The speech that is dialogue: VAD regions holding at least one recognised word, and the words
    that lie outside every region (the VAD missed them).  A region without words -- music, an
    effect, a breath -- is not dialogue.  A word inside a region is represented by the region: the
    VAD's edges are sharper than Whisper's word times, which spread into the pauses around them."""
    spans = [w for w in words if w.end > w.start]
    regions = list(speech)

    def overlaps(a: Interval, b: Interval) -> bool:
        return a.start < b.end and b.start < a.end

    kept = [r for r in regions if any(overlaps(w, r) for w in spans)]
    missed = [w for w in spans if not any(overlaps(w, r) for r in regions)]
    return merge(kept + missed)
