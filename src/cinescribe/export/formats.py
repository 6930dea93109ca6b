"""Every output format export writes, in one table: its file name, and what making it needs.

``<stem>`` is the AD script's name without ``.ad.json``.  ``voiced`` formats need a TTS voice
(:mod:`.voices`); ``needs_video`` ones also need the programme.  ``describe --formats`` and
``batch --formats`` take ``json`` (the AD script, always written by describe) and the formats
that need no voice; ``export``, ``serve`` and ``batch --export-formats`` take every format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..errors import InputError


@dataclass(frozen=True)
class Format:
    name: str
    file: str  # file name, with {stem}
    what: str
    voiced: bool = False
    needs_video: bool = False

    def path_name(self, stem: str) -> str:
        return self.file.format(stem=stem)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("vtt", "{stem}.ad.vtt", "WebVTT for <track kind=\"descriptions\">"),
    Format("srt", "{stem}.ad.srt", "SubRip"),
    Format("ttml", "{stem}.ad.ttml", "DAPT TTML: ducking gains, and with a voice the spoken text and timings"),
    Format("txt", "{stem}.transcript.txt", "text alternative: dialogue and ADs in time order"),
    Format("html", "{stem}.transcript.html", "the same as an accessible HTML page"),
    Format("wav", "{stem}.ad.wav", "the AD-only track (voice alone, silence between ADs)", voiced=True),
    Format("mix", "{stem}.ad.mix.wav", "programme sound ducked under the ADs, ADs mixed in", voiced=True,
           needs_video=True),
    Format("mp4", "{stem}.described.mp4", "the video (copied) + original audio + the mix as the AD track",
           voiced=True, needs_video=True),
    Format("mkv", "{stem}.described.mkv", "the same in Matroska", voiced=True, needs_video=True),
    Format("extended", "{stem}.described.extended.mp4", "the picture held during each extended AD's pause",
           voiced=True, needs_video=True),
)}
DOCUMENT = "json"  # the AD script itself, written by describe
DIALOGUE_FILE = "{stem}.subtitles.srt"  # the recognised dialogue, beside a script made without subtitles
UNVOICED = tuple(name for name, f in FORMATS.items() if not f.voiced)
DESCRIBE_DEFAULT = (DOCUMENT, "vtt", "srt")  # what describe writes unless --formats says otherwise


def parse_formats(text: str | Sequence[str], allowed: Sequence[str] = tuple(FORMATS),
                  what: str = "export format") -> tuple[str, ...]:
    """``"vtt,srt"`` -> ``("vtt", "srt")``, each checked to be in ``allowed``; InputError if one is not,
    or if none is given."""
    items = [f.strip().lower() for f in (text.split(",") if isinstance(text, str) else text) if f.strip()]
    unknown = [f for f in items if f not in allowed]
    if unknown:
        hint = ("; the voiced formats are made by `cinescribe export`"
                if unknown[0] in FORMATS and unknown[0] not in allowed else "")
        raise InputError(f"unknown {what} {unknown[0]!r}; choose from {', '.join(allowed)}{hint}")
    if not items:
        raise InputError(f"no {what} given; choose from {', '.join(allowed)}")
    return tuple(dict.fromkeys(items))


def describe_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """The formats of ``describe --formats``: ``json`` and every format that needs no voice."""
    return parse_formats(text, (DOCUMENT, *UNVOICED), "output format")
