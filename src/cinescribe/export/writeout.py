"""The files ``describe`` writes beside its AD-script JSON: the formats that need no voice, each atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..atomic import write_text
from ..describe.script import ADScript
from .formats import DIALOGUE_FILE, DOCUMENT, FORMATS, describe_formats
from .srt import to_srt
from .transcript import dialogue_srt, to_transcript_html, to_transcript_txt
from .ttml import to_ttml
from .webvtt import to_webvtt

TEXTS = {"vtt": to_webvtt, "srt": to_srt, "ttml": to_ttml, "txt": to_transcript_txt, "html": to_transcript_html}


def write_outputs(script: ADScript, outdir: Path, stem: str, formats: Sequence[str]) -> dict[str, Path]:
    """Write ``formats`` of ``script`` (``json`` is describe's, and left out here) into ``outdir``, and
    ``<stem>.subtitles.srt`` when dialogue was recognised and no subtitles were given; returns format -> path."""
    paths: dict[str, Path] = {}
    for fmt in describe_formats(formats):
        if fmt != DOCUMENT:
            paths[fmt] = write_text(outdir / FORMATS[fmt].path_name(stem), TEXTS[fmt](script))
    if script.transcript is not None and script.transcript.segments and not script.subtitles:
        paths["subtitles"] = write_text(outdir / DIALOGUE_FILE.format(stem=stem), dialogue_srt(script.transcript))
    return paths
