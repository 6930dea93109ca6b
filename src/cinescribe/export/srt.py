"""SubRip (.srt): one numbered cue per spoken AD, its text on one line (:mod:`.cuetext`)."""

from __future__ import annotations

from ..describe.script import ADScript
from .cuetext import plain, srt_text
from .timecodes import srt_time


def to_srt(script: ADScript) -> str:
    """The script's spoken ADs as an SRT document (numbered from 1)."""
    blocks = []
    for n, d in enumerate((d for d in script.spoken if plain(d.text)), start=1):
        blocks.append(f"{n}\n{srt_time(d.slot.start)} --> {srt_time(d.slot.end)}\n{srt_text(d.text)}\n")
    return "\n".join(blocks)
