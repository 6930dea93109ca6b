"""Clothing and hair colour of a detected face's person, measured from the frame's pixels.

The torso is the region between the shoulders and the hips of the body pose whose head
keypoints fall in the face box (MoveNet's 17 keypoints); without such a pose, a region below
the face of about a face's width stands in for it.  Hair is a thin band above the face box.
Each region's colour is the per-channel median of its pixels, so that a pattern, a shadow or
a strap does not decide the colour.  Boxes and keypoints are normalised to [0, 1].
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .base import Box

KEYPOINT_MIN_SCORE = 0.3
HEAD_POINTS = ("nose", "left_eye", "right_eye")
MIN_PIXELS = 24
MIN_INSIDE = 0.2  # share of a region that must lie inside the frame (a close-up cuts the torso off)


def _point(kp: Mapping[str, tuple[float, float, float]], name: str):
    p = kp.get(name)
    return None if p is None or p[2] < KEYPOINT_MIN_SCORE else (p[0], p[1])


def pose_for_face(box: Box, poses: Sequence[Mapping[str, tuple[float, float, float]]]):
    """The keypoints of the pose whose head points lie inside ``box`` (grown by 20%), or None."""
    w, h = box[2] - box[0], box[3] - box[1]
    x0, y0, x1, y1 = box[0] - 0.2 * w, box[1] - 0.2 * h, box[2] + 0.2 * w, box[3] + 0.2 * h
    best, best_n = None, 0
    for kp in poses:
        n = sum(1 for name in HEAD_POINTS if (p := _point(kp, name)) and x0 <= p[0] <= x1 and y0 <= p[1] <= y1)
        if n > best_n:
            best, best_n = kp, n
    return best


def torso_region(box: Box, keypoints: Mapping[str, tuple[float, float, float]] | None, aspect: float) -> Box:
    """The torso's box (may extend past the frame): from the pose's shoulders and hips, else below the face.

    ``aspect`` is the frame's width / height, so that a shoulder width can measure a height.
    """
    if keypoints is not None:
        ls, rs = _point(keypoints, "left_shoulder"), _point(keypoints, "right_shoulder")
        if ls and rs and abs(ls[0] - rs[0]) > 0.25 * (box[2] - box[0]):
            lh, rh = _point(keypoints, "left_hip"), _point(keypoints, "right_hip")
            left, right = min(ls[0], rs[0]), max(ls[0], rs[0])
            width = right - left
            top = (ls[1] + rs[1]) / 2
            hips = [p[1] for p in (lh, rh) if p]
            length = (sum(hips) / len(hips) - top) if hips else width * aspect
            if length > 0:
                return (left + 0.2 * width, top + 0.15 * length, right - 0.2 * width, top + 0.85 * length)
    fw, fh = box[2] - box[0], box[3] - box[1]
    cx = (box[0] + box[2]) / 2
    return (cx - 0.5 * fw, box[3] + 0.4 * fh, cx + 0.5 * fw, box[3] + 1.6 * fh)


def hair_region(box: Box) -> Box:
    """A band just above the face box, two thirds of its width."""
    fw, fh = box[2] - box[0], box[3] - box[1]
    cx = (box[0] + box[2]) / 2
    return (cx - 0.33 * fw, box[1] - 0.2 * fh, cx + 0.33 * fw, box[1] + 0.03 * fh)


def median_rgb(image: np.ndarray, region: Box) -> tuple[int, int, int] | None:
    """Median colour ``(r, g, b)`` of ``image`` ``(H, W, 3) uint8`` inside ``region``, or None when
    too little of the region is in the frame."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = region
    area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    cx0, cy0, cx1, cy1 = max(0.0, x0), max(0.0, y0), min(1.0, x1), min(1.0, y1)
    inside = max(0.0, cx1 - cx0) * max(0.0, cy1 - cy0)
    if area <= 0 or inside < MIN_INSIDE * area:
        return None
    px = image[int(cy0 * h):int(np.ceil(cy1 * h)), int(cx0 * w):int(np.ceil(cx1 * w))].reshape(-1, 3)
    if len(px) < MIN_PIXELS:
        return None
    r, g, b = np.median(px, axis=0)
    return int(r), int(g), int(b)
