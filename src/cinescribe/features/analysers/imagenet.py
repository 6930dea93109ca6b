"""ImageNet-1k classes of whole frames, from the packaged MobileNetV2 (:mod:`..imagenet`).

Fills :attr:`FrameAnalysis.imagenet` with the ``top_k`` most probable classes whose
probability is at least ``min_score``, most probable first.  The classifier is weak on film
frames and often confidently wrong (MODELS.md): these are raw measurements, and
:mod:`cinescribe.describe.setting` says something only from whitelisted classes that agree
across a slot's key frames.  The 1280-d pooled features are not kept here (they would swell
the per-frame cache); the ``imagenet`` frame encoder stores them in the feature store.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..imagenet import MODEL_ID, ImageNetClassifier
from .base import FrameAnalysis, Label

TOP_K = 10
MIN_SCORE = 0.01


class ImageNetAnalyser:
    """Top ImageNet classes of each frame (``(H, W, 3) uint8`` RGB in, ``Label`` lists out)."""

    name = "imagenet"
    model_id = MODEL_ID

    def __init__(self, *, top_k: int = TOP_K, min_score: float = MIN_SCORE, path=None) -> None:
        self.top_k, self.min_score = top_k, min_score
        self.classifier: ImageNetClassifier | None = ImageNetClassifier(path)

    def analyse(self, images: Sequence[np.ndarray], out: Sequence[FrameAnalysis]) -> None:
        if len(images) != len(out):
            raise ValueError(f"{len(images)} images but {len(out)} FrameAnalysis objects")
        if self.classifier is None:
            raise RuntimeError("the ImageNet analyser is closed")
        probs, _ = self.classifier.run(images)
        for fa, top in zip(out, self.classifier.top(probs, self.top_k, self.min_score)):
            fa.imagenet = [Label(name, round(score, 4)) for name, score in top]

    def close(self) -> None:
        self.classifier = None
