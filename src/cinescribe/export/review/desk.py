"""The describer's desk on the review page: style findings beside each AD, and the writer's candidates.

* :func:`restyle` records the style checker's findings (:mod:`cinescribe.describe.style`) in every
  description of a document, as ``describe`` does, so that a saved edit carries fresh findings;
  speech time is estimated from the word count (the page has no voice at hand for each keystroke).
* :func:`edit_findings` checks one edit in the context of the whole script (the AD before it, the
  dialogue, the characters) before it is saved.
* :func:`frame_jpeg` serves the key-frame thumbnails shown beside each AD.
* :func:`choose_candidate` makes a description's facts those of the candidate the describer picked
  (one of the ``candidates`` that ``describe`` recorded), so the saved AD still traces to its facts.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ...describe.style import check_document
from ...errors import InputError


def restyle(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with every description's ``style`` set to the checker's findings (in place)."""
    for d, found in zip(doc["descriptions"], check_document(doc)):
        d["style"] = [f.to_dict() for f in found]
    return doc


def edit_findings(applied: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """The findings of description ``index`` of ``applied`` (a document with the edit applied)."""
    for d, found in zip(applied["descriptions"], check_document(applied)):
        if int(d["index"]) == index:
            return [f.to_dict() for f in found]
    return []


def choose_candidate(d: dict[str, Any], candidate: int) -> bool:
    """Set ``d``'s facts to those of its candidate number ``candidate`` when ``d``'s text is that
    candidate's text; returns whether it was."""
    options = d.get("candidates") or []
    if not 0 <= candidate < len(options) or options[candidate].get("text") != d["text"]:
        return False
    keys = list(options[candidate].get("facts") or [])
    considered = {f["key"]: f for f in d.get("considered_facts") or []}
    d["facts"] = [considered[k] for k in keys if k in considered]
    d["candidate"] = candidate
    return True


THUMB_SIDE = 192  # longest side, in pixels, of a key-frame thumbnail


def frame_jpeg(video: Path, query: str, cache: dict[float, bytes]) -> bytes:
    """The JPEG thumbnail of ``video`` at the time ``t`` of a URL query (``t=12.5``), kept in ``cache``."""
    try:
        t = round(float(parse_qs(query).get("t", [""])[0]), 3)
    except ValueError:
        raise InputError("a frame needs its time: /media/frame?t=SECONDS") from None
    if not math.isfinite(t) or t < 0:
        raise InputError("a frame's time must be zero or more seconds")
    if t not in cache:
        from PIL import Image

        from ...media.frames import sample_frames

        with sample_frames(video, 10.0, max_side=THUMB_SIDE, start=t, end=t + 0.5) as frames:
            image = next(iter(frames), None)
        if image is None:
            raise InputError(f"no frame at {t:.2f} s")
        buf = io.BytesIO()
        Image.fromarray(image.image).save(buf, "JPEG", quality=80)
        if len(cache) > 512:
            cache.clear()
        cache[t] = buf.getvalue()
    return cache[t]
