"""WebVTT for ``<track kind="descriptions">``: one cue per spoken AD, ids ``ad-<slot>``."""

from __future__ import annotations

from ..describe.script import ADScript
from .cuetext import plain, vtt_text
from .timecodes import vtt_time


def to_webvtt(script: ADScript) -> str:
    """The script's spoken ADs as a WebVTT document."""
    lines = ["WEBVTT", "", "NOTE audio description written by cinescribe; use as <track kind=\"descriptions\">", ""]
    for d in script.spoken:
        if not plain(d.text):
            continue
        lines += [f"ad-{d.slot.index}", f"{vtt_time(d.slot.start)} --> {vtt_time(d.slot.end)}", vtt_text(d.text), ""]
    return "\n".join(lines)
