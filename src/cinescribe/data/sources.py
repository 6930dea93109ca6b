"""Clips from frame features: the feature store, MAD-style per-movie arrays, any FeatureSource.

Every film's features are a :class:`~cinescribe.features.store.FeatureSource` (frame
embeddings ``(n, dim)`` at ``times``).  An AD from ``start`` to ``end`` becomes a clip whose
frames are the source's frames inside ``[start, end]`` (the nearest frame when the interval is
shorter than a sample period), and whose scene features are, in order of preference:

* the frames of its scene, when the film's scene spans are given (DANTE-AD's scene stream);
* otherwise the frames within ``scene_window`` seconds on either side of the AD (a local
  context window), when ``scene_window > 0``;
* otherwise none (models without dual vision do not need them).

Annotation files are read with :func:`cinescribe.data.annotations.read_annotations`; feature
arrays with :func:`cinescribe.features.mad.open_mad` (``.h5`` / ``.npy``) or a
:class:`~cinescribe.features.store.FeatureStore` (films matched by the video's file stem).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..errors import InputError
from ..features.keyframes import select_keyframes
from ..features.mad import list_movies, open_mad
from ..features.store import FeatureSource, FeatureStore, frames_at
from .annotations import AD, ADSet
from .clips import Clip


def clip_frames(source: FeatureSource, start: float, end: float) -> np.ndarray:
    """Frames of ``source`` in ``[start, end]`` -> (T, dim); the nearest frame if none falls inside."""
    _, feats = source.window(start, end)
    if len(feats) == 0:
        feats = frames_at(source, [(start + end) / 2])
    return np.asarray(feats, dtype=np.float32)


def clips_from_features(ads: Iterable[AD], source_of: Callable[[str], FeatureSource | None],
                        scenes: Mapping[str, Sequence[tuple[float, float]]] | None = None,
                        scene_window: float = 0.0) -> dict[str, list[Clip]]:
    """Film -> its clips in time order.  ``source_of(film)`` gives a film's features, or None
    to skip a film (it is reported in the error when no film has features)."""
    out: dict[str, list[Clip]] = {}
    missing: list[str] = []
    cache: dict[str, FeatureSource | None] = {}
    for ad in ads:
        if ad.film not in cache:
            cache[ad.film] = source_of(ad.film)
            if cache[ad.film] is None:
                missing.append(ad.film)
        source = cache[ad.film]
        if source is None:
            continue
        scene = None
        spans = (scenes or {}).get(ad.film)
        if spans:
            lo, hi = _scene_span(spans, ad.start, ad.end)
            scene = clip_frames(source, lo, hi)
        elif scene_window > 0:
            scene = clip_frames(source, max(0.0, ad.start - scene_window), ad.end + scene_window)
        out.setdefault(ad.film, []).append(
            Clip(ad.film, ad.start, ad.end, ad.text, clip_frames(source, ad.start, ad.end), scene, ad.characters))
    if not out:
        raise InputError(f"no film of the annotations has features (looked for {', '.join(missing[:3])}...); "
                         "check that feature files are named by the annotation's film ids")
    return out


def _scene_span(spans: Sequence[tuple[float, float]], start: float, end: float) -> tuple[float, float]:
    """The span overlapping ``[start, end]`` most, else the nearest one."""
    arr = np.asarray(spans, dtype=np.float64)
    overlap = np.minimum(arr[:, 1], end) - np.maximum(arr[:, 0], start)
    i = int(np.argmax(overlap)) if overlap.max() > 0 else int(np.argmin(np.abs(arr.mean(1) - (start + end) / 2)))
    return float(arr[i, 0]), float(arr[i, 1])


def mad_clips(annotations: ADSet, features: str | Path, scene_window: float = 0.0,
              fps: float = 5.0) -> dict[str, list[Clip]]:
    """Clips of a benchmark annotation set (MAD / CMD-AD / TV-AD) from per-movie feature arrays
    (a MAD ``.h5``, a ``.npy`` file or a folder of ``<film>.npy``) sampled at ``fps`` from time 0."""
    available = set(list_movies(features))

    def source_of(film: str) -> FeatureSource | None:
        return open_mad(features, film, fps=fps) if film in available else None

    return clips_from_features(annotations.ads, source_of, scene_window=scene_window)


def store_sources(store: FeatureStore, encoder: str | None = None) -> dict[str, FeatureSource]:
    """The store's complete entries by video file stem (the film id of ``describe`` outputs).

    ``encoder``: keep only entries whose encoder id starts with it.  Two entries for one stem
    (two encoders) without an ``encoder`` filter are an error."""
    out: dict[str, FeatureSource] = {}
    for entry in store.entries():
        if encoder and not entry.encoder_id.startswith(encoder):
            continue
        stem = Path(entry.manifest["video"].get("path", "")).stem
        if stem in out:
            raise InputError(f"the feature store holds two entries for '{stem}' ({out[stem].encoder_id}, "
                             f"{entry.encoder_id}); choose one with the encoder setting")
        out[stem] = entry
    if not out:
        raise InputError(f"the feature store at {store.root} holds no complete entries"
                         + (f" for encoder {encoder}" if encoder else "") + "; run `cinescribe extract` first")
    return out


def store_clips(annotations: ADSet, store: FeatureStore, encoder: str | None = None,
                scene_window: float = 0.0) -> dict[str, list[Clip]]:
    """Clips of ``annotations`` whose films have entries in the feature ``store``."""
    sources = store_sources(store, encoder)
    return clips_from_features(annotations.ads, sources.get, scene_window=scene_window)


def with_keyframes(films: Mapping[str, Sequence[Clip]], method: str, k: int) -> dict[str, list[Clip]]:
    """Each clip's frames replaced by its ``k`` key frames followed by the coarse tokens of the
    frames not kept (DynFocus: detail for key frames, one merged token per event for the rest),
    selected by :func:`cinescribe.features.keyframes.select_keyframes`.  The ``events`` selector
    sees the neighbouring clips' frames, so it prefers what sets a clip apart from them.  Key
    frames keep their stored values; coarse tokens are L2-normalised means, as the selector gives them."""
    out: dict[str, list[Clip]] = {}
    for film, clips in films.items():
        clips = list(clips)
        new = []
        for i, c in enumerate(clips):
            options = {}
            if method == "events":
                around = [clips[j].frames for j in (i - 1, i + 1) if 0 <= j < len(clips)]
                if around:
                    options["neighbours"] = np.concatenate(around)
            sel = select_keyframes(method, c.frames, k, **options)
            frames = np.concatenate([c.frames[sel.indices], sel.coarse]).astype(np.float32)
            new.append(Clip(c.film, c.start, c.end, c.text, frames, c.scene, c.cast))
        out[film] = new
    return out
