"""``pixels``: an appearance embedding computed from the pixels alone (no learned weights).

Every frame is shrunk to 64x64 (area averaging) and described by four blocks, each
L2-normalised, then weighted and concatenated and L2-normalised again (168 numbers):

* colour histogram (24): hue in 12 bins weighted by saturation, saturation in 4 bins,
  value in 8 bins; square-rooted (Hellinger), so that small areas still count;
* luminance layout (64): the 8x8 grey picture minus its mean -- where light and dark are;
* colour layout (48): mean CIELAB ``(L, a, b)`` of a 4x4 grid, ``a, b`` centred on grey;
* edge layout (32): gradient-orientation histograms (8 unsigned orientations,
  magnitude-weighted, square-rooted) of a 2x2 grid -- the shape of what is in view.

Cosine similarity of two embeddings is high for frames of the same shot and low across
cuts, which is what shot/event clustering and key-frame selection need.  It knows
nothing about meaning: it has no ``encode_texts``.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import cv2
import numpy as np

from .base import check_frames, l2_normalise

SIDE = 64
HUE_BINS, SAT_BINS, VAL_BINS = 12, 4, 8
LUMA_GRID, COLOUR_GRID, EDGE_GRID, EDGE_BINS = 8, 4, 2, 8
WEIGHTS = {"histogram": 1.0, "luma": 1.0, "colour": 1.0, "edges": 0.7}
VERSION = "cinescribe/pixels-embed@1"


def _histogram(hsv: np.ndarray) -> np.ndarray:
    h, s, v = (hsv[..., i].ravel().astype(np.float32) for i in range(3))
    n = h.size
    sat = s / 255.0
    hue = np.bincount((h * HUE_BINS / 180).astype(int).clip(0, HUE_BINS - 1), weights=sat, minlength=HUE_BINS)
    sath = np.bincount((sat * SAT_BINS).astype(int).clip(0, SAT_BINS - 1), minlength=SAT_BINS)
    valh = np.bincount((v * VAL_BINS / 256).astype(int).clip(0, VAL_BINS - 1), minlength=VAL_BINS)
    return np.sqrt(np.concatenate([hue, sath, valh]) / n)


def _grid_mean(x: np.ndarray, g: int) -> np.ndarray:
    h, w = x.shape[:2]
    return x.reshape(g, h // g, g, w // g, -1).mean(axis=(1, 3))


def _edges(grey: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    ang = (np.arctan2(gy, gx) % np.pi) / np.pi  # unsigned orientation in [0, 1)
    bins = (ang * EDGE_BINS).astype(int).clip(0, EDGE_BINS - 1)
    c = SIDE // EDGE_GRID
    cells = []
    for i in range(EDGE_GRID):
        for j in range(EDGE_GRID):
            sl = (slice(i * c, (i + 1) * c), slice(j * c, (j + 1) * c))
            cells.append(np.bincount(bins[sl].ravel(), weights=mag[sl].ravel(), minlength=EDGE_BINS))
    return np.sqrt(np.concatenate(cells) / (c * c * 255.0))


def embed_frame(image: np.ndarray) -> np.ndarray:
    """The 168-d embedding of one RGB ``(H, W, 3) uint8`` frame (see the module docstring)."""
    small = cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32) - np.float32([0, 128, 128])
    luma = _grid_mean(grey[..., None], LUMA_GRID).ravel()
    blocks = {
        "histogram": _histogram(hsv),
        "luma": luma - luma.mean(),
        "colour": _grid_mean(lab, COLOUR_GRID).ravel() / 255.0,
        "edges": _edges(grey),
    }
    parts = [WEIGHTS[k] * l2_normalise(v[None])[0] for k, v in blocks.items()]
    return l2_normalise(np.concatenate(parts)[None])[0]


class PixelEncoder:
    """Appearance embeddings from pixels; see the module docstring.  ``(n, 168)`` float32."""

    id = "pixels"
    dim = HUE_BINS + SAT_BINS + VAL_BINS + LUMA_GRID**2 + 3 * COLOUR_GRID**2 + EDGE_BINS * EDGE_GRID**2
    weights_hash = "sha256:" + hashlib.sha256(repr((VERSION, SIDE, WEIGHTS)).encode()).hexdigest()
    batch_size = 64

    def encode_images(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        images = check_frames(frames)
        if not images:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([embed_frame(im) for im in images]).astype(np.float32)

    def close(self) -> None:
        return None
