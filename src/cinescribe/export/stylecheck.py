"""The ``check`` command's work: the style checker over an AD script, timed by a TTS voice.

The checker (:mod:`cinescribe.describe.style`) takes a ``speech_time(text) -> seconds``; this
module makes one from an export voice (the length of the text spoken at rate 1.0, silence
trimmed), or none (``voice="none"``, or no voice installed), in which case the checker estimates
the time from the word count and says so in its findings.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..describe.style import SpeechTime, check_document
from ..errors import InputError, MissingDependencyError
from ..describe.document import json_path, read_document, script_from_dict
from .voices import load_voice

log = logging.getLogger("cinescribe.export")


def voice_speech_time(name: str) -> SpeechTime | None:
    """Seconds a voice takes to say a text; ``None`` for ``"none"`` or when the voice is missing."""
    if name == "none":
        return None
    try:
        voice = load_voice(name)
    except MissingDependencyError as exc:
        if name != "default":
            raise
        log.warning(f"no voice to time the ADs ({exc}); speech time is estimated from the word count")
        return None

    @lru_cache(maxsize=1024)
    def seconds(text: str) -> float:
        return len(voice.synthesize(text, 1.0)) / voice.sample_rate

    seconds.voice = voice.name  # type: ignore[attr-defined]
    return seconds


def check_file(source: str | Path, voice: str = "default") -> dict[str, Any]:
    """The style findings of the AD script at ``source`` (a ``.ad.json`` or its folder).

    Returns ``{"json", "voice", "errors", "warnings", "descriptions": [{index, start, end, text,
    findings: [...]}, ...]}`` listing only descriptions with text.
    """
    path = json_path(source)
    doc = read_document(path)
    script_from_dict(doc, str(path))  # the same checks every reader of the script makes
    if voice not in ("none", "default", "piper-joe", "espeak"):
        raise InputError(f"unknown --voice {voice!r}; choose one of: default, piper-joe, espeak, none")
    speech = voice_speech_time(voice)
    findings = check_document(doc, speech)
    items = []
    for d, found in zip(doc["descriptions"], findings):
        if d["text"]:
            items.append({"index": d["index"], "start": d["start"], "end": d["end"], "text": d["text"],
                          "findings": [f.to_dict() for f in found]})
    every = [f for found in findings for f in found]
    return {
        "json": str(path),
        "voice": speech.voice if speech is not None else "none (speech time estimated from the word count)",
        "errors": sum(f.severity == "error" for f in every),
        "warnings": sum(f.severity == "warning" for f in every),
        "descriptions": items,
    }
