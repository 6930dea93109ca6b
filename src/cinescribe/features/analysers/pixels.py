"""Whole-frame measurements without a learned model: brightness, colour and motion.

Input: RGB frames ``(H, W, 3) uint8`` with their times; output: one :class:`PixelStats`
per frame.  Greenery: pixels of vegetation hue that are saturated and lit; their share of the
lower half of the frame (ground) and their texture (mean absolute Laplacian of luma) tell a
lawn (much smooth green below) from foliage (bright gaps between leaves) and from no greenery.  Motion compares each frame with the previous one in the same batch, after
removing the global translation found by phase correlation (a camera pan moves the
whole picture; what is left is movement inside the picture).
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .base import FrameAnalysis, PixelStats

# Hue bins on OpenCV's 0-180 hue circle, with the colour word each bin licenses.
_HUE_BINS: tuple[tuple[float, float, str], ...] = (
    (0, 8, "red"),
    (8, 20, "orange"),
    (20, 33, "yellow"),
    (33, 80, "green"),
    (80, 100, "teal"),
    (100, 130, "blue"),
    (130, 150, "purple"),
    (150, 170, "pink"),
    (170, 181, "red"),
)
_WORK_SIDE = 160  # frames are measured at this size: enough for global statistics
# Vegetation green on OpenCV's hue circle (0-180), with the saturation and value it needs (0-255).
GREEN_HUE = (30, 90)
GREEN_MIN_SAT, GREEN_MIN_VAL = 60, 40


def _small(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    scale = _WORK_SIDE / max(h, w)
    if scale >= 1:
        return image
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness M, divided by 150 and clipped to [0, 1]."""
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    m = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    return float(min(1.0, m / 150.0))


def dominant_hue(rgb: np.ndarray, min_share: float = 0.15) -> str | None:
    """Name of the most common hue among saturated, lit pixels; None if too few are."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0].ravel(), hsv[..., 1].ravel(), hsv[..., 2].ravel()
    vivid = (s > 64) & (v > 51)
    if vivid.mean() < min_share:
        return None
    hues = h[vivid].astype(np.float32)
    counts: dict[str, int] = {}
    for lo, hi, name in _HUE_BINS:
        counts[name] = counts.get(name, 0) + int(((hues >= lo) & (hues < hi)).sum())
    return max(counts, key=counts.__getitem__)


def greenery(rgb: np.ndarray) -> tuple[float, float]:
    """``(share of the lower half that is vegetation green, mean |Laplacian| of luma over green pixels)``."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    green = (h >= GREEN_HUE[0]) & (h <= GREEN_HUE[1]) & (s >= GREEN_MIN_SAT) & (v >= GREEN_MIN_VAL)
    ground = float(green[green.shape[0] // 2:].mean())
    if not green.any():
        return ground, 0.0
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    return ground, float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[green].mean())


class PixelAnalyser:
    """Brightness, colourfulness, dominant hue and compensated motion of each frame."""

    name = "pixels"
    model_id = "cinescribe/pixels@2"

    def analyse(self, images: Sequence[np.ndarray], out: Sequence[FrameAnalysis]) -> None:
        prev_grey: np.ndarray | None = None
        prev_t = 0.0
        for image, fa in zip(images, out):
            small = _small(image)
            grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
            motion = shift = None
            if prev_grey is not None and prev_grey.shape == grey.shape and fa.t > prev_t:
                (dx, dy), _ = cv2.phaseCorrelate(prev_grey, grey)
                matrix = np.float32([[1, 0, -dx], [0, 1, -dy]])
                aligned = cv2.warpAffine(grey, matrix, grey.shape[::-1], borderMode=cv2.BORDER_REPLICATE)
                motion = float(np.abs(aligned - prev_grey).mean())
                dt = fa.t - prev_t
                shift = (float(dx / grey.shape[1] / dt), float(dy / grey.shape[0] / dt))
            ground, texture = greenery(small)
            fa.pixels = PixelStats(
                brightness=float(grey.mean()),
                colourfulness=colourfulness(small),
                hue=dominant_hue(small),
                motion=motion,
                shift=shift,
                green_ground=round(ground, 4),
                green_texture=round(texture, 4),
            )
            prev_grey, prev_t = grey, fa.t

    def close(self) -> None:
        return None
