"""Score tracks along a film (e.g. predicted violence or arousal per 5-second window) in the AD script.

``cinescribe classify predict --segments S`` writes a track JSON (schema
``cinescribe.score-track/1``: ``name``, ``task``, ``names``, ``window`` and ``segments``
``[{start, end, scores: {name: value} | null}]``); :func:`attach_track` stores it in the AD
script under ``tracks`` (replacing a track of the same name), where exporters ignore it and
the review page shows it as an extra track.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..atomic import read_json, write_json
from ..errors import InputError
from .document import json_path, read_document

TRACK_SCHEMA = "cinescribe.score-track/1"


def check_track(track: Any, where: str = "score track") -> dict[str, Any]:
    """``track`` if it is a well-formed score track, else a one-line :class:`InputError`."""
    if not isinstance(track, dict) or track.get("schema") != TRACK_SCHEMA:
        raise InputError(f"{where} is not a score track (schema {TRACK_SCHEMA}); write one with classify predict --segments")
    names = track.get("names")
    if not isinstance(track.get("name"), str) or not isinstance(names, list) or not names:
        raise InputError(f"{where}: a score track needs a name and a non-empty list of names")
    segments = track.get("segments")
    if not isinstance(segments, list):
        raise InputError(f"{where}: segments must be a list")
    for i, seg in enumerate(segments):
        try:
            start, end = float(seg["start"]), float(seg["end"])
            scores = seg["scores"]
            ok = 0 <= start < end and (scores is None or (set(scores) == set(names) and all(
                math.isfinite(float(v)) for v in scores.values())))
        except (KeyError, TypeError, ValueError, AttributeError):
            ok = False
        if not ok:
            raise InputError(f"{where}: segments[{i}] needs start < end and scores for {', '.join(names)} (or null)")
    return track


def read_track(path: str | Path) -> dict[str, Any]:
    return check_track(read_json(path, "score track; write one with cinescribe classify predict --segments"), str(path))


def attach_track(script_path: str | Path, track: dict[str, Any]) -> Path:
    """Add ``track`` to the AD script at ``script_path`` (or the one in that folder), atomically; return its path."""
    check_track(track)
    path = json_path(script_path)
    doc = read_document(path)
    tracks = [t for t in doc.get("tracks", []) if isinstance(t, dict) and t.get("name") != track["name"]]
    doc["tracks"] = tracks + [track]
    return write_json(path, doc)
