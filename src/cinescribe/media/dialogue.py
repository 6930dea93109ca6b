"""Where dialogue is: speech activity joined with subtitle cues.

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
