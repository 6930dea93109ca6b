"""The AD script: every slot with its text, the facts it came from and the run's provenance.

This is the document the ``describe`` command produces and every exporter reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..media.asr import Transcript
from ..timeline import Interval
from .facts import Fact
from .planner import Slot

SCHEMA = "cinescribe.ad-script/1"


@dataclass
class AudioDescription:
    """One slot and what was written for it (``text`` is empty when nothing fits).

    An extended AD (``extended``) is spoken while the picture is held: playback pauses at
    ``pause_at`` for ``pause_s`` seconds; its slot is the span of picture it describes;
    ``pause_for`` says why (``scene``, ``text``, ``character:<id>``: :mod:`.extended`)."""

    slot: Slot
    text: str
    facts: list[Fact]
    considered: list[Fact]
    keyframes: list[float]
    reason: str = ""
    polish: str = ""
    characters: list[str] = field(default_factory=list)  # ids of the characters the text mentions
    mentions: list[dict[str, str]] = field(default_factory=list)  # {"character": id, "phrase": words used}
    style: list[dict[str, Any]] = field(default_factory=list)  # style-checker findings (describe.style)
    candidates: list[dict[str, Any]] = field(default_factory=list)  # ranked alternatives: text, facts
    extended: bool = False
    pause_at: float | None = None
    pause_s: float = 0.0
    pause_for: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict[str, Any], slot: Slot) -> "AudioDescription":
        """Rebuild a description written by :meth:`to_dict` for ``slot``."""
        return cls(slot, d["text"], [Fact.from_dict(f) for f in d["facts"]],
                   [Fact.from_dict(f) for f in d["considered_facts"]], list(d["keyframes"]), d.get("reason", ""),
                   d.get("polish", ""), list(d.get("characters") or []), [dict(m) for m in d.get("mentions") or []],
                   list(d.get("style", [])), list(d.get("candidates", [])),
                   bool(d.get("extended", False)),
                   float(d["pause_at"]) if d.get("pause_at") is not None else None, float(d.get("pause_s", 0.0)),
                   list(d.get("pause_for") or []))

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.slot.index,
            "start": self.slot.start,
            "end": self.slot.end,
            "word_budget": self.slot.word_budget,
            "words": len(self.text.split()),
            "text": self.text,
            "reason": self.reason,
            "polish": self.polish,
            "keyframes": self.keyframes,
            "characters": self.characters,
            "mentions": self.mentions,
            "facts": [f.to_dict() for f in self.facts],
            "considered_facts": [f.to_dict() for f in self.considered],
            "style": self.style,
            "candidates": self.candidates,
            **({"extended": True, "pause_at": self.pause_at, "pause_s": self.pause_s, "pause_for": self.pause_for}
               if self.extended else {}),
        }


@dataclass
class ADScript:
    """All ADs of one video, with the timeline they were planned on."""

    video: dict[str, Any]
    descriptions: list[AudioDescription]
    dialogue: list[Interval]
    speech: list[Interval]
    subtitles: int
    shots: list[Interval]
    scenes: list[Interval]
    models: dict[str, str]
    config: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    software: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    characters: list[dict[str, Any]] = field(default_factory=list)  # Character.to_dict() of each, by id
    transcript: Transcript | None = None
    heard_names: list[dict[str, Any]] = field(default_factory=list)

    @property
    def spoken(self) -> list[AudioDescription]:
        """The descriptions that have text, in time order."""
        return [d for d in self.descriptions if d.text]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "video": self.video,
            "software": self.software,
            "config": self.config,
            "models": self.models,
            "warnings": self.warnings,
            "timings_s": self.timings,
            "timeline": {
                "dialogue": [i.to_dict() for i in self.dialogue],
                "speech": [i.to_dict() for i in self.speech],
                "subtitle_cues": self.subtitles,
                "shots": [i.to_dict() for i in self.shots],
                "scenes": [i.to_dict() for i in self.scenes],
            },
            "characters": self.characters,
            "descriptions": [d.to_dict() for d in self.descriptions],
            **({"transcript": self.transcript.to_dict(), "heard_names": self.heard_names}
               if self.transcript is not None else {}),
        }
