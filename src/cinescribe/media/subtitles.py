"""Subtitle files (SRT, WebVTT, ASS/SSA) -> :class:`Cue` list.

Input: a path to a ``.srt``, ``.vtt``, ``.ass`` or ``.ssa`` file; the format is chosen by the
content (a ``WEBVTT`` header, a ``[Script Info]`` section for Advanced/Sub Station Alpha, else
SRT).  Output: cues sorted by start time, times in seconds, text with markup removed (``<i>``,
``<c.x>``, ``<v Name>``, inline timestamps, ``{\\an8}`` and every other override tag) and HTML
entities decoded; lines of one cue are joined with ``\\n``.

ASS/SSA files are read with ``pysubs2``: their ``Dialogue`` events become cues; comments and
vector drawings (``{\\p1}``) are left out.  SRT and WebVTT are read here, strictly, because a
lenient reader turns text that merely contains two timestamps into an extra cue.

Accepted: UTF-8 with or without BOM, else the encoding detected (:mod:`cinescribe.textfile`,
with a warning naming it), CRLF/CR line ends, ``,`` or ``.``
before milliseconds, hours optional (VTT, and leniently SRT), VTT cue identifiers and
cue settings (``align:start`` ...), NOTE/STYLE/REGION blocks, SRT position suffixes.
Malformed files raise :class:`InputError` naming the file and line: a bad timestamp,
a cue ending before it starts, a file that is not subtitles, or no cues at all.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from ..errors import InputError
from ..textfile import decode_text
from ..timeline import Interval

_TS = r"(?:(\d+):)?([0-5]?\d):([0-5]\d)(?:[,.](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}(?:\s+(.*))?$")
_ARROW = re.compile(r"-->")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_SUBSTATION = re.compile(r"^\s*\[Script Info\]", re.IGNORECASE)
_EVENT_LINE = re.compile(r"^(Dialogue|Comment|Picture|Sound|Movie|Command)\s*:", re.IGNORECASE)
_WHAT = "an .srt, .vtt, .ass or .ssa subtitle file"


@dataclass(frozen=True)
class Cue:
    """One subtitle cue: ``[start, end)`` seconds and its plain text."""

    start: float
    end: float
    text: str

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


def _seconds(h: str | None, m: str, s: str, ms: str | None) -> float:
    frac = int(ms.ljust(3, "0")) / 1000 if ms else 0.0
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + frac


def _clean(lines: list[str]) -> str:
    out = [html.unescape(_TAG.sub("", ln)).replace("\u00a0", " ").strip() for ln in lines]
    return "\n".join(ln for ln in out if ln)


def _read(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such subtitle file; check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a subtitle file")
    return decode_text(path.read_bytes(), str(path), _WHAT)


def _blocks(lines: list[str], first: int) -> list[tuple[int, list[str]]]:
    """Blank-line-separated blocks as (1-based line number of first line, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    cur: list[str] = []
    start = first
    for i in range(first, len(lines)):
        if lines[i].strip() == "":
            if cur:
                blocks.append((start + 1, cur))
                cur = []
        else:
            if not cur:
                start = i
            cur.append(lines[i])
    if cur:
        blocks.append((start + 1, cur))
    return blocks


def _timing(path: Path, lineno: int, line: str) -> tuple[float, float]:
    m = _TIMING.match(line)
    if not m:
        raise InputError(f"{path}:{lineno}: bad timestamp line {line.strip()[:60]!r}; "
                         "expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'")
    g = m.groups()
    start, end = _seconds(*g[0:4]), _seconds(*g[4:8])
    if end < start:
        raise InputError(f"{path}:{lineno}: cue ends ({line.split('-->')[1].split()[0]}) before it starts "
                         f"({line.split('-->')[0].strip()}); fix the timestamps")
    return start, end


def _substation(path: Path, text: str) -> list[Cue]:
    """The dialogue events of an ASS/SSA file (``text``) as cues, in file order."""
    lines = text.split("\n")
    event_lines = [n for n, ln in enumerate(lines, 1) if _EVENT_LINE.match(ln)]
    try:
        events = pysubs2.SSAFile.from_string(text).events
    except (ValueError, pysubs2.Pysubs2Error) as exc:
        bad = re.search(r"'([^']*)'", str(exc))
        at = next((n for n, ln in enumerate(lines, 1) if bad and bad.group(1) in ln), None)
        where = f"{path}:{at}" if at else str(path)
        raise InputError(f"{where}: not a readable ASS/SSA file ({str(exc).splitlines()[0]}); "
                         "expected 'Dialogue: ...,H:MM:SS.cc,H:MM:SS.cc,...'") from None
    if len(event_lines) != len(events):
        event_lines = [0] * len(events)
    cues: list[Cue] = []
    for lineno, event in zip(event_lines, events):
        if event.is_comment or event.is_drawing:
            continue
        if event.end < event.start:
            where = f"{path}:{lineno}" if lineno else str(path)
            raise InputError(f"{where}: cue ends ({pysubs2.time.ms_to_str(event.end, fractions=True)}) before it starts "
                             f"({pysubs2.time.ms_to_str(event.start, fractions=True)}); fix the timestamps")
        cues.append(Cue(event.start / 1000, event.end / 1000, _clean(event.plaintext.split("\n"))))
    return cues


def _srt_or_vtt(p: Path, lines: list[str]) -> list[Cue]:
    """The cues of an SRT or WebVTT file given as its ``lines``."""
    is_vtt = bool(lines) and lines[0].startswith("WEBVTT")
    cues: list[Cue] = []
    for lineno, block in _blocks(lines, 1 if is_vtt else 0):
        if is_vtt and re.match(r"^(NOTE|STYLE|REGION)(\s|$)", block[0]):
            continue
        at = next((i for i, ln in enumerate(block[:2]) if _ARROW.search(ln)), None)
        if at is None:
            if not cues and not is_vtt:
                raise InputError(f"{p}:{lineno}: not a subtitle file (no 'start --> end' timing line); "
                                 f"give {_WHAT}")
            if is_vtt and len(block) == 1 and not cues and lineno <= 3:
                continue  # header continuation text
            raise InputError(f"{p}:{lineno}: cue without a timing line; expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'")
        if at == 1 and not is_vtt and not block[0].strip().isdigit():
            raise InputError(f"{p}:{lineno}: expected a cue number, got {block[0].strip()[:40]!r}")
        start, end = _timing(p, lineno + at, block[at])
        cues.append(Cue(start, end, _clean(block[at + 1:])))
    return cues


def parse_subtitles(path: str | os.PathLike[str]) -> list[Cue]:
    """Read an SRT, WebVTT, ASS or SSA file; see the module docstring."""
    p = Path(path)
    text = _read(p).lstrip("\ufeff")
    cues = _substation(p, text) if _SUBSTATION.match(text) else _srt_or_vtt(p, text.split("\n"))
    if not cues:
        raise InputError(f"{p}: contains no subtitle cues; give {_WHAT} with timed cues")
    cues.sort(key=lambda c: (c.start, c.end))
    return cues


# aliases: the format is always detected from the content
read_subtitles = read_srt = read_vtt = parse_subtitles
