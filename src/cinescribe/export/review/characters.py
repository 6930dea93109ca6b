"""The review page's characters: renaming one everywhere (atomic, with a backup) and face thumbnails.

Renaming goes through :func:`cinescribe.describe.characters.rename_character`: the character's
``name`` is set and every AD whose ``mentions`` name it says the name instead of its earlier
reference.  The file is guarded by its revision like any other edit.  A thumbnail is the face
box (grown to show the head) of the character's best-scoring evidence frame, cut from the video.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...atomic import write_json
from ...describe.characters import rename_character
from ...errors import InputError
from ...media.frames import sample_frames
from ...describe.document import read_document, script_from_dict
from .edits import StaleRevision, keep_backups, revision

THUMB_SIDE = 96


def rename(path: Path, cid: str, name: str, expected_revision: str | None = None) -> dict[str, Any]:
    """Name character ``cid`` in the AD script at ``path`` and save it (backups as for edits:
    :func:`.edits.keep_backups`)."""
    if expected_revision is not None and revision(path) != expected_revision:
        raise StaleRevision(f"{path.name} changed on disk since it was loaded; reload the page and rename again")
    doc = read_document(path)
    changed = rename_character(doc, cid, name)
    doc.setdefault("review", {"edits": 0})
    doc["review"]["renamed"] = int(doc["review"].get("renamed", 0)) + 1
    doc["review"]["saved_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    script_from_dict(doc, str(path))  # the saved document must load again
    backup = keep_backups(path)
    write_json(path, doc)
    return {"saved": True, "changed": changed, "backup": str(backup), "revision": revision(path)}


def thumbnail(video: Path, character: dict[str, Any], side: int = THUMB_SIDE) -> bytes:
    """A JPEG of the character's face, ``side`` pixels square."""
    from PIL import Image

    frames = (character.get("evidence") or {}).get("frames") or []
    if not frames:
        raise InputError(f"character {character.get('id')} has no face frame")
    best = max(frames, key=lambda f: f.get("score", 0))
    t, (x0, y0, x1, y1) = float(best["t"]), best["box"]
    with sample_frames(video, 25.0, max_side=640, start=max(0.0, t - 0.1), end=t + 0.1) as stream:
        picked = min(stream, key=lambda f: abs(f.t - t), default=None)
    if picked is None:
        raise InputError(f"no frame of the video at {t:.2f} s")
    image = picked.image
    h, w = image.shape[:2]
    cx, cy = (x0 + x1) / 2 * w, (y0 + y1) / 2 * h
    half = max((x1 - x0) * w, (y1 - y0) * h) * 0.75
    box = (int(max(0, cx - half)), int(max(0, cy - half)), int(min(w, cx + half)), int(min(h, cy + half)))
    out = io.BytesIO()
    Image.fromarray(image).crop(box).resize((side, side)).save(out, "JPEG", quality=85)
    return out.getvalue()
