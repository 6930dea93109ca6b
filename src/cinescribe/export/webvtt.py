"""WebVTT for ``<track kind="descriptions">``: one cue per spoken AD, ids ``ad-<slot>``."""

from __future__ import annotations

from ..describe.script import ADScript
from .timecodes import vtt_time


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "--&gt;")


def to_webvtt(script: ADScript) -> str:
    """The script's spoken ADs as a WebVTT document."""
    lines = ["WEBVTT", "", "NOTE audio description written by cinescribe; use as <track kind=\"descriptions\">", ""]
    for d in script.spoken:
        lines += [f"ad-{d.slot.index}", f"{vtt_time(d.slot.start)} --> {vtt_time(d.slot.end)}", _escape(d.text), ""]
    return "\n".join(lines)
