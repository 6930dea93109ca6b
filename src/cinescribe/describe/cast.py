"""``describe --cast``: reference photos of named people, turned into identity vectors.

A cast is either a folder holding one folder per name with that person's photos
(``Cast/Ana María/1.jpg``), or a JSON object ``{"name": ["photo.jpg", ...]}`` whose relative
paths are read from the JSON's folder.  Names may be in any script; two names that are equal
after Unicode NFC normalisation and whitespace folding are a duplicate.  Each photo's face with
the highest detector score gives a faceres identity vector; a name's reference is the
normalised mean of its photos' vectors, ``(1024,)``.  Every problem is one :class:`InputError`
naming the file.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..features.analysers.base import FrameAnalysis
from ..features.analysers.vectors import unit, unpack

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
MAX_PHOTO_SIDE = 1280


def _name(raw: str, where: str) -> str:
    name = unicodedata.normalize("NFC", " ".join(str(raw).split()))
    if not name:
        raise InputError(f"{where}: a cast name is empty")
    return name


def read_cast(path: str | Path) -> dict[str, list[Path]]:
    """Name -> photo paths of the cast at ``path`` (checked to exist; not yet opened)."""
    path = Path(path)
    cast: dict[str, list[Path]] = {}

    def add(raw: str, photos: list[Path], where: str) -> None:
        name = _name(raw, where)
        if name in cast:
            raise InputError(f"{where}: the name {name!r} appears twice in the cast")
        if not photos:
            raise InputError(f"{where}: no photo for {name!r}")
        for p in photos:
            if not p.is_file():
                raise InputError(f"cast photo {p}: no such file")
        cast[name] = photos

    if path.is_dir():
        for sub in sorted(path.iterdir()):
            if sub.name.startswith("."):
                continue
            if not sub.is_dir():
                raise InputError(f"{sub}: a cast folder holds one folder per name (NAME/photo.jpg), not files")
            add(sub.name, sorted(p for p in sub.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES), str(sub))
        if not cast:
            raise InputError(f"cast folder {path} is empty: give one folder per name, each with photos")
        return cast
    if not path.is_file():
        raise InputError(f"--cast {path}: no such file or folder")

    def pairs(items):
        seen: dict[str, object] = {}
        for k, v in items:
            if k in seen:
                raise InputError(f"{path}: the name {k!r} appears twice in the cast")
            seen[k] = v
        return seen

    try:
        doc = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=pairs)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON cast file ({exc})") from None
    if not isinstance(doc, dict) or not doc:
        raise InputError(f"{path}: a cast file is a non-empty JSON object {{\"name\": [\"photo.jpg\", ...]}}")
    for raw, photos in doc.items():
        photos = [photos] if isinstance(photos, str) else photos
        if not isinstance(photos, list) or not all(isinstance(p, str) for p in photos):
            raise InputError(f"{path}: the photos of {raw!r} must be a list of file paths")
        add(raw, [(path.parent / p) for p in photos], str(path))
    return cast


def _image(path: Path) -> np.ndarray:
    """The photo as ``(H, W, 3) uint8`` RGB, its longer side at most :data:`MAX_PHOTO_SIDE`."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            im.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
            return np.asarray(im, dtype=np.uint8).copy()
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InputError(f"cast photo {path}: cannot be read as an image ({exc.__class__.__name__})") from None


def load_cast(path: str | Path, analyser=None) -> dict[str, np.ndarray]:
    """Name -> reference identity vector ``(1024,)`` for the cast at ``path``.

    ``analyser`` measures faces with identity (default: the face models of the perception worker).
    """
    photos = {name: [(p, _image(p)) for p in paths] for name, paths in read_cast(path).items()}
    own = analyser is None
    if own:
        from ..features.analysers.human import HumanAnalyser

        analyser = HumanAnalyser(objects=False, poses=False)
    try:
        refs = {}
        for name, images in photos.items():
            vectors = []
            for photo, image in images:
                fa = FrameAnalysis(t=0.0)
                analyser.analyse([image], [fa])
                faces = [f for f in fa.faces if f.descriptor]
                if not faces:
                    raise InputError(f"cast photo {photo}: no face found")
                vectors.append(unpack(max(faces, key=lambda f: f.score).descriptor))
            refs[name] = unit(np.mean(vectors, axis=0))
        return refs
    finally:
        if own:
            analyser.close()
