"""WebVTT for ``<track kind="descriptions">``: one cue per spoken AD, ids ``ad-<slot>``.

An extended AD's cue is timed over its pause and preceded by ``NOTE extended AD ad-<slot>: pause the
video at <time> for <seconds> s`` (a player that supports extended descriptions pauses there)."""

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
        if d.extended and d.pause_at is not None:
            lines += [f"NOTE extended AD ad-{d.slot.index}: pause the video at {vtt_time(d.pause_at)} for "
                      f"{d.pause_s:g} s", ""]
        lines += [f"ad-{d.slot.index}", f"{vtt_time(d.slot.start)} --> {vtt_time(d.slot.end)}", vtt_text(d.text), ""]
    return "\n".join(lines)
