"""SubRip (.srt): one numbered cue per spoken AD."""

from __future__ import annotations

from ..describe.script import ADScript
from .timecodes import srt_time


def to_srt(script: ADScript) -> str:
    """The script's spoken ADs as an SRT document (numbered from 1)."""
    blocks = []
    for n, d in enumerate(script.spoken, start=1):
        blocks.append(f"{n}\n{srt_time(d.slot.start)} --> {srt_time(d.slot.end)}\n{d.text}\n")
    return "\n".join(blocks)
