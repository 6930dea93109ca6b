"""The AD-script document on disk: the one reader and writer of the ``.ad.json`` that ``describe`` writes.

:func:`read_document` and :func:`load_script` read it, :func:`write_script` writes it.  The exporters, the review page, ``classify predict --attach`` and ``describe`` itself (keeping a
script's score tracks) read the JSON through here (a reviewer may have edited it).  A file that
is not JSON, not an AD script, or has a wrong field is an :class:`InputError` naming the file and
the field; nothing is written.  :func:`check_video` proves that a video is the one the script was
made from (same fingerprint, see :mod:`cinescribe.media.fingerprint`).  The document's JSON Schema
is :mod:`.schema`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..atomic import read_json, write_json
from ..errors import InputError, show_number
from ..media.asr import Transcript
from ..media.fingerprint import fingerprint
from ..media.probe import check_path
from ..timeline import Interval
from .planner import Slot
from .script import SCHEMA, ADScript, AudioDescription

JSON_SUFFIX = ".ad.json"


def read_document(path: str | Path) -> dict[str, Any]:
    """The raw document of an AD-script JSON file (checked to be one)."""
    p = json_path(path)
    doc = read_json(p, "AD script; give the .ad.json written by `cinescribe describe`",
                    "restore it from its .bak backup or run `cinescribe describe` again")
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InputError(f"{p}: not a cinescribe AD script (schema {found!r}, expected {SCHEMA!r})")
    return doc


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where}: expected an integer, got {value!r}")
    return value


def _intervals(items: Any, where: str) -> list[Interval]:
    if not isinstance(items, list):
        raise InputError(f"{where}: expected a list of intervals")
    return [Interval(_number(i.get("start") if isinstance(i, dict) else None, f"{where}[{n}].start"),
                     _number(i.get("end") if isinstance(i, dict) else None, f"{where}[{n}].end"))
            for n, i in enumerate(items)]


def script_from_dict(doc: dict[str, Any], source: str = "AD script") -> ADScript:
    """Rebuild the :class:`ADScript` that :meth:`ADScript.to_dict` wrote."""
    try:
        video = doc["video"]
        timeline = doc["timeline"]
        descriptions = []
        for n, d in enumerate(doc["descriptions"]):
            where = f"{source}: descriptions[{n}]"
            start, end = _number(d["start"], f"{where}.start"), _number(d["end"], f"{where}.end")
            if not 0 <= start < end:
                raise InputError(f"{where}: start {show_number(start)} must be before end {show_number(end)} "
                                 "and not negative")
            if not isinstance(d["text"], str):
                raise InputError(f"{where}.text: expected a string")
            slot = Slot(_integer(d["index"], f"{where}.index"), start, end,
                        _integer(d["word_budget"], f"{where}.word_budget"))
            descriptions.append(AudioDescription.from_dict(d, slot))
        return ADScript(
            video=dict(video),
            descriptions=descriptions,
            dialogue=_intervals(timeline["dialogue"], f"{source}: timeline.dialogue"),
            speech=_intervals(timeline.get("speech", []), f"{source}: timeline.speech"),
            subtitles=int(timeline.get("subtitle_cues", 0)),
            shots=_intervals(timeline.get("shots", []), f"{source}: timeline.shots"),
            scenes=_intervals(timeline.get("scenes", []), f"{source}: timeline.scenes"),
            models=dict(doc.get("models", {})),
            config=dict(doc.get("config", {})),
            warnings=list(doc.get("warnings", [])),
            software=dict(doc.get("software", {})),
            timings=dict(doc.get("timings_s", {})),
            characters=[dict(c) for c in doc.get("characters") or []],
            transcript=Transcript.from_dict(doc["transcript"]) if isinstance(doc.get("transcript"), dict) else None,
            heard_names=[dict(n) for n in doc.get("heard_names", []) if isinstance(n, dict)],
        )
    except KeyError as exc:
        raise InputError(f"{source}: missing field {exc.args[0]!r}; the file is damaged or from another program") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{source}: malformed field ({exc}); the file is damaged or from another program") from None


def load_script(path: str | Path) -> ADScript:
    """Read and check the AD script at ``path``."""
    return script_from_dict(read_document(path), str(path))


def kept_tracks(path: Path, fingerprint_: str | None) -> list[dict[str, Any]]:
    """The score tracks (``classify predict --attach``) of the AD script at ``path`` when it is
    one of the same video: they measure the video, not its ADs, so a new script keeps them."""
    try:
        old = read_document(path)
    except InputError:
        return []
    if not isinstance(old.get("video"), dict) or old["video"].get("fingerprint") != fingerprint_:
        return []
    return [t for t in old.get("tracks", []) if isinstance(t, dict)]


def write_script(script: ADScript, path: str | Path) -> Path:
    """Write ``script`` to ``path`` atomically; a script that replaces one of the same video keeps its
    score tracks (:func:`kept_tracks`)."""
    doc = script.to_dict()
    tracks = kept_tracks(Path(path), script.video.get("fingerprint"))
    return write_json(path, {**doc, "tracks": tracks} if tracks else doc)


def json_path(path: str | Path) -> Path:
    """``path`` itself, or the one ``*.ad.json`` inside the folder ``path``."""
    p = Path(path)
    if p.is_dir():
        found = sorted(p.glob(f"*{JSON_SUFFIX}"))
        if len(found) != 1:
            raise InputError(f"{p}: expected exactly one *{JSON_SUFFIX} in this folder, found {len(found)}; "
                             "give the JSON file itself")
        return found[0]
    return p


def stem_of(path: Path) -> str:
    """``film`` for ``film.ad.json``."""
    name = path.name
    return name[: -len(JSON_SUFFIX)] if name.endswith(JSON_SUFFIX) else path.stem


def find_video(script: ADScript, source: Path, video: str | Path | None, needed_for: str) -> Path:
    """The video ``script`` (read from ``source``) describes: ``video`` when given, else the path
    recorded in the JSON, else the file of that name beside the JSON (the folder was moved or
    copied); checked with :func:`check_video`.  InputError saying where it looked if none is there."""
    if video is not None:
        return check_video(script, video)
    recorded = script.video.get("path")
    candidates = [Path(recorded), source.parent / Path(recorded).name] if recorded else []
    for candidate in dict.fromkeys(candidates):
        if candidate.is_file():
            return check_video(script, candidate)
    looked = " and ".join(str(c) for c in dict.fromkeys(candidates)) or "nowhere (the JSON names no video)"
    raise InputError(f"{needed_for} the video described by {source.name}; looked for {looked}; give it with --video")


def check_video(script: ADScript, video: str | Path) -> Path:
    """``video`` if it is the file the script describes; InputError (missing, or another video) if not."""
    p = check_path(video)
    expected = script.video.get("fingerprint")
    if expected and fingerprint(p) != expected:
        raise InputError(f"{p} is not the video this AD script was made from (fingerprint differs from "
                         f"{script.video.get('path', 'the original')}); give the original video or describe this one")
    return p
