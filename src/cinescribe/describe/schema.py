"""The AD-script document's JSON Schema, generated from the typed shape of what ``ADScript.to_dict`` writes.

The published copy is ``schemas/ad-script.schema.json`` in the repository; ``python -m
cinescribe.describe.schema FILE`` writes it again after a change here (a test checks that the
copy is current, and that real ``describe`` output is valid against it).  Fields that other
programs may add (a reviewer's tool, ``classify predict --attach``'s ``tracks``) are allowed:
the schema names what cinescribe writes and reads, and forbids nothing else.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

from pydantic import TypeAdapter
from typing_extensions import NotRequired, TypedDict  # pydantic reads TypedDicts from here on Python 3.11


class IntervalDoc(TypedDict):
    start: float
    end: float


class FactDoc(TypedDict):
    """A measured fact (:class:`~.facts.Fact`): ``words`` are the content words it licenses."""

    kind: str
    key: str
    value: str | int | float
    words: list[str]
    salience: float
    evidence: dict[str, Any]


class DescriptionDoc(TypedDict):
    """One slot and its AD (``text`` empty, with a ``reason``, when nothing was said)."""

    index: int
    start: float
    end: float
    word_budget: int
    words: int
    text: str
    reason: str
    polish: str
    keyframes: list[float]
    characters: list[str]
    mentions: list[dict[str, str]]
    facts: list[FactDoc]
    considered_facts: list[FactDoc]
    style: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    extended: NotRequired[bool]
    pause_at: NotRequired[float | None]
    pause_s: NotRequired[float]
    pause_for: NotRequired[list[str]]  # why the picture pauses: "scene", "text", "character:<id>"


class TimelineDoc(TypedDict):
    dialogue: list[IntervalDoc]
    speech: list[IntervalDoc]
    subtitle_cues: int
    shots: list[IntervalDoc]
    scenes: list[IntervalDoc]


class WordDoc(TypedDict):
    start: float
    end: float
    word: str
    probability: float


class SegmentDoc(TypedDict):
    start: float
    end: float
    text: str
    words: list[WordDoc]
    speaker: NotRequired[str]


class SpeakerDoc(TypedDict):
    """A voice told apart (``--speakers``): ``S1``, ``S2``, ... with its lines and their seconds."""

    id: str
    segments: int
    seconds: float


class TranscriptDoc(TypedDict):
    model: str
    language: str
    language_probability: float
    speakers: NotRequired[list[SpeakerDoc]]
    segments: list[SegmentDoc]


class ADScriptDoc(TypedDict):
    """The ``.ad.json`` that ``cinescribe describe`` writes (``schema`` is :data:`.script.SCHEMA`)."""

    schema: Literal["cinescribe.ad-script/1"]
    video: dict[str, Any]
    software: dict[str, str]
    config: dict[str, Any]
    models: dict[str, str]
    warnings: list[str]
    timings_s: dict[str, float]
    timeline: TimelineDoc
    characters: list[dict[str, Any]]
    descriptions: list[DescriptionDoc]
    transcript: NotRequired[TranscriptDoc]
    heard_names: NotRequired[list[dict[str, Any]]]
    tracks: NotRequired[list[dict[str, Any]]]


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :class:`ADScriptDoc`."""
    body = TypeAdapter(ADScriptDoc).json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **body}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    from ..atomic import write_text

    if len(argv) != 1:
        print("usage: python -m cinescribe.describe.schema FILE", file=sys.stderr)
        return 2
    write_text(argv[0], schema_text())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
