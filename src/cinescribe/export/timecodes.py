"""Timestamps as subtitle formats write them."""

from __future__ import annotations


def _parts(seconds: float) -> tuple[int, int, int, int]:
    ms = max(0, int(round(seconds * 1000)))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return h, m, s, ms


def vtt_time(seconds: float) -> str:
    """``HH:MM:SS.mmm`` (WebVTT)."""
    h, m, s, ms = _parts(seconds)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def srt_time(seconds: float) -> str:
    """``HH:MM:SS,mmm`` (SubRip)."""
    h, m, s, ms = _parts(seconds)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"
