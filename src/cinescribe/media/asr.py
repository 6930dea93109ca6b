"""Speech recognition: what is said in the speech regions, with word timings and the language.

Input: mono float32 samples at 16 kHz (:func:`.audio.extract_audio`) and the speech regions
found by :func:`.vad.detect_speech` (seconds).  Output: a :class:`Transcript` whose segments
and words carry times in seconds of the original audio.

The regions, each padded by ``PAD`` seconds, are laid end to end with ``GAP`` seconds of silence
between them and recognised in one pass by faster-whisper (CTranslate2, int8, CPU) with the
packaged weights of :mod:`.whisper_model`; times are mapped back region by region.  Music and
effects that the VAD took for speech usually give no words (Whisper's no-speech rule drops
them), which is how the dialogue intervals tell them apart (:mod:`.dialogue`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import InputError, MissingDependencyError
from ..timeline import Interval
from .whisper_model import MODELS, model_dir

RATE = 16000
PAD = 0.2
GAP = 0.5


@dataclass(frozen=True)
class Word:
    """One recognised word (``text`` keeps Whisper's leading space off) and its confidence."""

    start: float
    end: float
    text: str
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "word": self.text,
                "probability": round(self.probability, 3)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Word":
        return cls(float(d["start"]), float(d["end"]), str(d["word"]), float(d.get("probability", 1.0)))


@dataclass(frozen=True)
class Segment:
    """One line of dialogue as Whisper segmented it."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    speaker: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text,
             "words": [w.to_dict() for w in self.words]}
        if self.speaker:
            d["speaker"] = self.speaker
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Segment":
        return cls(float(d["start"]), float(d["end"]), str(d["text"]),
                   tuple(Word.from_dict(w) for w in d.get("words", [])), str(d.get("speaker", "")))


@dataclass
class Transcript:
    """What was said, in which language, by which model."""

    language: str
    language_probability: float
    model: str
    segments: list[Segment] = field(default_factory=list)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def speakers(self) -> list[dict[str, Any]]:
        """``[{"id", "segments", "seconds"}]`` of the speakers the segments name, in order of first speaking."""
        found: dict[str, dict[str, Any]] = {}
        for s in self.segments:
            if s.speaker:
                entry = found.setdefault(s.speaker, {"id": s.speaker, "segments": 0, "seconds": 0.0})
                entry["segments"] += 1
                entry["seconds"] = round(entry["seconds"] + s.end - s.start, 3)
        return list(found.values())

    def to_dict(self) -> dict[str, Any]:
        speakers = self.speakers
        return {"model": self.model, "language": self.language,
                "language_probability": round(self.language_probability, 3),
                **({"speakers": speakers} if speakers else {}),
                "segments": [s.to_dict() for s in self.segments]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Transcript":
        return cls(str(d.get("language", "")), float(d.get("language_probability", 0.0)), str(d.get("model", "")),
                   [Segment.from_dict(s) for s in d.get("segments", [])])


@dataclass(frozen=True)
class AsrConfig:
    """``model``: a key of :data:`~.whisper_model.MODELS`; ``language``: an ISO 639-1 code or "" to detect."""

    model: str = "base"
    language: str = ""
    beam_size: int = 5
    threads: int = 2

    def validate(self) -> None:
        if self.model not in MODELS:
            raise InputError(f"unknown --asr-model {self.model!r}; choose one of: {', '.join(MODELS)}")
        if not 1 <= self.beam_size <= 10:
            raise InputError(f"--asr-beam must be between 1 and 10 (got {self.beam_size})")
        if self.language:
            known = languages(self.model)
            if self.language not in known:
                hint = "; the base model knows more" if self.model.endswith(".en") else ""
                raise InputError(f"--asr-language {self.language!r} is not a language the Whisper {self.model} "
                                 f"model knows (it knows {', '.join(known[:12])}{', ...' if len(known) > 12 else ''})"
                                 f"{hint}")


def languages(size: str) -> list[str]:
    """The language codes model ``size`` recognises."""
    if size.endswith(".en"):
        return ["en"]
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return list(_LANGUAGE_CODES)


_lock = threading.Lock()
_models: dict[tuple[str, int], Any] = {}


def load_model(size: str, threads: int):
    """The faster-whisper model ``size`` on ``threads`` CPU threads, loaded once per process."""
    with _lock:
        key = (size, threads)
        if key not in _models:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise MissingDependencyError("faster-whisper is not installed; pip install faster-whisper==1.2.1") from exc
            _models[key] = WhisperModel(str(model_dir(size)), device="cpu", compute_type="int8", cpu_threads=threads)
        return _models[key]


def pack_regions(regions: Sequence[Interval], duration: float) -> list[tuple[float, float, float]]:
    """(packed start, original start, length) of each padded, merged region, laid end to end with
    ``GAP`` seconds between them."""
    spans: list[list[float]] = []
    for r in sorted(regions, key=lambda r: r.start):
        a, b = max(0.0, r.start - PAD), min(duration, r.end + PAD)
        if b <= a:
            continue
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    packed, at = [], 0.0
    for a, b in spans:
        packed.append((at, a, b - a))
        at += (b - a) + GAP
    return packed


def unpack_time(t: float, packed: Sequence[tuple[float, float, float]]) -> float:
    """A time in the packed audio -> the time in the original audio (clamped into its region)."""
    chosen = packed[0]
    for p in packed:
        if p[0] <= t:
            chosen = p
        else:
            break
    at, start, length = chosen
    return start + min(max(t - at, 0.0), length)


def transcribe(audio: np.ndarray, regions: Sequence[Interval], cfg: AsrConfig = AsrConfig(),
               rate: int = RATE) -> Transcript:
    """Recognise the speech in ``regions`` of ``audio``; see the module docstring."""
    cfg.validate()
    if rate != RATE:
        raise ValueError(f"speech recognition needs {RATE} Hz audio (got {rate})")
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    packed = pack_regions(regions, len(audio) / rate)
    if not packed:
        return Transcript(cfg.language or "", 0.0, cfg.model)
    gap = np.zeros(int(GAP * rate), dtype=np.float32)
    pieces = []
    for _, start, length in packed:
        pieces += [audio[int(start * rate): int(start * rate) + int(length * rate)], gap]
    joined = np.concatenate(pieces[:-1])
    model = load_model(cfg.model, cfg.threads)
    found, info = model.transcribe(joined, language=cfg.language or None, beam_size=cfg.beam_size,
                                   word_timestamps=True, vad_filter=False, condition_on_previous_text=False)
    segments = []
    for s in found:
        words = tuple(Word(unpack_time(w.start, packed), unpack_time(w.end, packed), w.word.strip(), w.probability)
                      for w in (s.words or ()) if w.word.strip())
        if not words:
            continue
        segments.append(Segment(words[0].start, words[-1].end, s.text.strip(), words))
    return Transcript(info.language, float(info.language_probability), cfg.model, segments)
