"""Dialogue as text: the recognised dialogue as subtitles, and the text alternative (WCAG 1.2.8).

* :func:`dialogue_srt`: the transcript's lines as SubRip (``<stem>.subtitles.srt``), a line that does
  not fit two lines of ``LINE`` characters split at word times; where the speakers are known, a
  cue where the speaker changes opens with "- " (the subtitling convention for a new speaker).
* :func:`text_alternative`: dialogue lines and spoken ADs interleaved in time order
  (:class:`Entry`); a line is labelled with its speaker where the transcript names one ("S2" reads
  "Speaker 2"; else "Dialogue"), an AD is marked as a description (and as a pause of the picture
  when it is an extended AD).
* :func:`to_transcript_txt` / :func:`to_transcript_html`: that alternative as plain text and as an
  accessible HTML page (``lang``, a title and heading, a landmark, speaker labels in text, times as
  ``<time>``; descriptions are told apart by a written label, not by styling alone).
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from ..describe.script import ADScript
from ..media.asr import Segment, Transcript
from .cuetext import plain, srt_text
from .timecodes import srt_time, vtt_time

MAX_CUE = 84
LINE = 42


def _fits(text: str) -> bool:
    return len(text) <= MAX_CUE and len(textwrap.wrap(text, LINE)) <= 2


def _chunks(segment: Segment) -> list[tuple[float, float, str]]:
    if _fits(segment.text) or not segment.words:
        return [(segment.start, segment.end, segment.text)]
    out, words = [], []
    for w in segment.words:
        if words and not _fits(" ".join(x.text for x in words + [w])):
            out.append((words[0].start, words[-1].end, " ".join(x.text for x in words)))
            words = []
        words.append(w)
    out.append((words[0].start, words[-1].end, " ".join(x.text for x in words)))
    return out


def speaker_label(speaker: str) -> str:
    """How a speaker is named to the reader: "S2" (a voice told apart) as "Speaker 2", a name as it is."""
    found = re.fullmatch(r"S(\d+)", speaker)
    return f"Speaker {found.group(1)}" if found else speaker


def dialogue_srt(transcript: Transcript) -> str:
    """The transcript's dialogue as a SubRip document (numbered from 1)."""
    blocks, n, previous = [], 0, ""
    for segment in transcript.segments:
        for k, (start, end, text) in enumerate(_chunks(segment)):
            if not plain(text):
                continue
            n += 1
            if k == 0 and segment.speaker and previous and segment.speaker != previous:
                text = f"- {text}"
            lines = textwrap.wrap(srt_text(text), LINE) or [srt_text(text)]
            blocks.append(f"{n}\n{srt_time(start)} --> {srt_time(max(end, start + 0.001))}\n" + "\n".join(lines) + "\n")
        previous = segment.speaker or previous
    return "\n".join(blocks)


@dataclass(frozen=True)
class Entry:
    """One paragraph of the text alternative."""

    t: float
    kind: str  # "dialogue" or "description"
    label: str
    text: str
    note: str = ""


def text_alternative(script: ADScript) -> list[Entry]:
    """Dialogue lines and spoken ADs in time order (an AD before a line that starts at the same time)."""
    entries = [Entry(d.slot.start if d.pause_at is None else d.pause_at, "description", "Description", plain(d.text),
                     f"video paused {d.pause_s:g} s" if d.extended else "")
               for d in script.spoken if plain(d.text)]
    if script.transcript is not None:
        entries += [Entry(s.start, "dialogue", speaker_label(s.speaker) or "Dialogue", plain(s.text))
                    for s in script.transcript.segments if plain(s.text)]
    return sorted(entries, key=lambda e: (e.t, e.kind != "description"))


def _title(script: ADScript) -> str:
    return Path(str(script.video.get("path", "video"))).name


def _clock(t: float) -> str:
    return vtt_time(t)[:8]


def to_transcript_txt(script: ADScript) -> str:
    """The text alternative as plain text."""
    lines = [f"Transcript with audio description: {_title(script)}", ""]
    if script.transcript is None:
        lines += ["(No dialogue transcript: speech recognition was off.)", ""]
    for e in text_alternative(script):
        note = f" ({e.note})" if e.note else ""
        lines.append(f"[{_clock(e.t)}] {e.label.upper()}{note}: {e.text}")
    return "\n".join(lines) + "\n"


_STYLE = ("body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5;"
          "color:#111;background:#fff}time{color:#444;font-variant-numeric:tabular-nums;margin-right:.5rem}"
          ".description{border-left:4px solid #1a5fb4;padding-left:.75rem;font-style:italic}"
          ".label{font-weight:700;font-style:normal}")


def to_transcript_html(script: ADScript) -> str:
    """The text alternative as an accessible HTML page."""
    lang = (script.transcript.language if script.transcript is not None and script.transcript.language else "en")
    title = html.escape(f"Transcript with audio description: {_title(script)}")
    rows = []
    for e in text_alternative(script):
        note = f" ({html.escape(e.note)})" if e.note else ""
        rows.append(f'<p class="{e.kind}"><time datetime="PT{e.t:.3f}S">{_clock(e.t)}</time>'
                    f'<span class="label">{html.escape(e.label)}{note}:</span> {html.escape(e.text)}</p>')
    if script.transcript is None:
        rows.insert(0, "<p>No dialogue transcript: speech recognition was off.</p>")
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{title}</title>\n'
            f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
            "<p>Dialogue and audio descriptions in the order they are heard. Lines marked "
            "<q>Description</q> describe what is on screen.</p>\n" + "\n".join(rows) + "\n</main>\n</body>\n</html>\n")
