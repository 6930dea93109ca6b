"""ImageNet-1k classes of whole frames and of crops round hands and objects (packaged MobileNetV2).

The classifier is :mod:`..imagenet`'s.

Fills :attr:`FrameAnalysis.imagenet` with the ``top_k`` most probable classes of the whole frame
whose probability is at least ``min_score``, most probable first, and :attr:`FrameAnalysis.regions`
with the same for square crops cut round the frame's hands and non-person objects (the fields
``objects`` and ``hands`` an earlier analyser filled: :data:`NEEDS`):

* round a hand, a square of :data:`HAND_GROW` times the hand box's longer side: what a hand holds
  sits beside it (``box.mp4``: the box spans two to three hand widths from the fist gripping it);
* round an object, a square of :data:`OBJECT_GROW` times its box's longer side, so the
  classifier sees the whole thing (the detector's class is a guess at small sizes: ``vtest.avi``'s
  parked vans read as car/truck at 0.32-0.41, the demo's tabby cat as a dog).

Crops are taken for hands scoring :data:`REGION_MIN_SCORE` or more and objects at
:data:`REGION_MIN_SCORE` covering :data:`REGION_MIN_AREA` of the frame (at most
:data:`MAX_REGIONS` a frame, best scores first).  The classifier is weak on film frames and
often confidently wrong (MODELS.md): these are raw measurements, and :mod:`cinescribe.describe`
says something only from whitelisted classes that agree across a slot's key frames.  The 1280-d
pooled features are not kept here (they would swell the per-frame cache); the ``imagenet`` frame
encoder stores them in the feature store.

Input: RGB frames ``(H, W, 3) uint8`` and their :class:`FrameAnalysis` (with ``objects`` and
``hands`` when measured).  Output: ``imagenet`` (list of :class:`Label`) and ``regions`` (list of
:class:`Region`) of each.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..imagenet import MODEL_ID, ImageNetClassifier
from .base import Box, FrameAnalysis, Label, Region

TOP_K = 10
MIN_SCORE = 0.01
REGION_TOP_K = 5
REGION_MIN_SCORE = 0.25  # detector score of a hand or object worth a crop (real hands 0.28-0.63)
REGION_MIN_AREA = 0.001  # of the frame: vtest.avi's vans are 0.003-0.011, its litter <= 0.0007
HAND_GROW = 3.0
OBJECT_GROW = 1.3
MAX_REGIONS = 6
NEEDS = ("objects", "hands")
ANALYSER_ID = f"{MODEL_ID}+regions"  # the whole frame and the crops round hands and objects


def square_crop(image: np.ndarray, box: Box, grow: float) -> np.ndarray:
    """The square of ``grow`` times ``box``'s longer side (in pixels) centred on it, cut to the frame."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2 * w, (y0 + y1) / 2 * h
    half = max((x1 - x0) * w, (y1 - y0) * h, 8.0) * grow / 2
    a, b = int(max(0, cx - half)), int(max(0, cy - half))
    c, d = int(min(w, cx + half)), int(min(h, cy + half))
    return image[b:max(d, b + 1), a:max(c, a + 1)]


def region_boxes(fa: FrameAnalysis) -> list[tuple[str, Box, float]]:
    """``(source, box, grow)`` of the crops to classify in a frame (see the module docstring)."""
    found = [(h.score, "hand", h.box, HAND_GROW) for h in fa.hands if h.score >= REGION_MIN_SCORE]
    found += [(d.score, d.label, d.box, OBJECT_GROW) for d in fa.objects
              if d.label != "person" and d.score >= REGION_MIN_SCORE
              and (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]) >= REGION_MIN_AREA]
    found.sort(key=lambda r: -r[0])
    return [(source, box, grow) for _, source, box, grow in found[:MAX_REGIONS]]


class ImageNetAnalyser:
    """Top ImageNet classes of each frame and of its hand and object crops (``(H, W, 3) uint8`` RGB in);
    the classifier runs on the torch ``device`` (``"cpu"`` or ``"cuda"``)."""

    name = "imagenet"
    model_id = ANALYSER_ID
    needs = NEEDS

    def __init__(self, *, top_k: int = TOP_K, min_score: float = MIN_SCORE, path=None, device: str = "cpu") -> None:
        self.top_k, self.min_score = top_k, min_score
        self.classifier: ImageNetClassifier | None = ImageNetClassifier(path, device=device)

    def analyse(self, images: Sequence[np.ndarray], out: Sequence[FrameAnalysis]) -> None:
        if len(images) != len(out):
            raise ValueError(f"{len(images)} images but {len(out)} FrameAnalysis objects")
        if self.classifier is None:
            raise RuntimeError("the ImageNet analyser is closed")
        probs, _ = self.classifier.run(images)
        for fa, top in zip(out, self.classifier.top(probs, self.top_k, self.min_score)):
            fa.imagenet = [Label(name, round(score, 4)) for name, score in top]
        wanted = [(fa, source, box, square_crop(image, box, grow))
                  for image, fa in zip(images, out) for source, box, grow in region_boxes(fa)]
        if not wanted:
            return
        probs, _ = self.classifier.run([crop for *_, crop in wanted])
        for (fa, source, box, _), top in zip(wanted, self.classifier.top(probs, REGION_TOP_K, self.min_score)):
            fa.regions.append(Region(source, tuple(round(v, 4) for v in box),
                                     [Label(name, round(score, 4)) for name, score in top]))

    def close(self) -> None:
        self.classifier = None
