"""Clothing and hair colour of a detected face's person, measured from the frame's pixels.

The torso is the region between the shoulders and the hips of the body pose whose head
keypoints fall in the face box (MoveNet's 17 keypoints); without such a pose, a region below
the face of about a face's width stands in for it.  Hair is a thin band above the face box.
Boxes and keypoints are normalised to [0, 1].

The torso's colour is decided by the votes of its pixels: each pixel is named
(:func:`colour_names`: black, white, grey, brown, red, orange, yellow, green, blue, purple, pink),
and a colour is kept only when at least :data:`COLOUR_MAJORITY` of the region's pixels share its
name (:func:`majority_rgb`).  A median over mixed colours names a colour that may be nobody's:
the demo's astronaut, framed from the chin up, shows an orange suit, a black undergarment at the
neck and a purple-grey neck ring under her face, whose median read "black top"; her pixels vote
black 0.35-0.58 over the frames where enough of the region is in view, while the cameraman's
black coat votes black 0.91-0.97 (a grey shading takes the rest).  Two thirds is a clear majority
between the two.  Hair is still the per-channel median of a thin band, where a pattern or a
strap does not decide.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .base import Box

KEYPOINT_MIN_SCORE = 0.3
HEAD_POINTS = ("nose", "left_eye", "right_eye")
MIN_PIXELS = 24
MIN_INSIDE = 0.2  # share of a region that must lie inside the frame (a close-up cuts the torso off)
COLOUR_MAJORITY = 2 / 3  # share of a region's pixels that must share a colour name (see the module docstring)
COLOURS = ("black", "white", "grey", "brown", "red", "orange", "yellow", "green", "blue", "purple", "pink")


def colour_names(pixels: np.ndarray) -> np.ndarray:
    """The index into :data:`COLOURS` of each pixel of ``pixels`` ``(N, 3)`` (0-255 RGB): ``(N,)`` int.

    HSV rules: dark is black; unsaturated is white or grey; a dark orange hue is brown; then hue bands."""
    rgb = np.asarray(pixels, dtype=np.float64).reshape(-1, 3) / 255.0
    v = rgb.max(axis=1)
    c = v - rgb.min(axis=1)
    s = np.where(v > 0, c / np.where(v > 0, v, 1), 0.0)
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    safe = np.where(c > 0, c, 1)
    rc, gc, bc = (v - r) / safe, (v - g) / safe, (v - b) / safe  # as colorsys.rgb_to_hsv, to the last bit
    h = np.where(v == r, bc - gc, np.where(v == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(c > 0, (h / 6.0) % 1.0, 0.0) * 360
    out = np.select(
        [v < 0.22, (s < 0.18) & (v > 0.8), s < 0.18, (h >= 10) & (h < 45) & (v < 0.6),
         (h < 10) | (h >= 340), h < 40, h < 70, h < 170, h < 255, h < 290],
        [0, 1, 2, 3, np.where((s < 0.45) & (v > 0.7), 10, 4), 5, 6, 7, 8, 9],
        default=10)
    return out.astype(np.int64)


def colour_name(rgb: Sequence[float]) -> str:
    """The colour word (:data:`COLOURS`) of one ``(r, g, b)`` 0-255 colour."""
    return COLOURS[int(colour_names(np.asarray(rgb, dtype=np.float64).reshape(1, 3))[0])]


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


def _region_pixels(image: np.ndarray, region: Box) -> np.ndarray | None:
    """The pixels ``(N, 3)`` of ``image`` ``(H, W, 3) uint8`` inside ``region``, or None when too
    little of the region is in the frame."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = region
    area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    cx0, cy0, cx1, cy1 = max(0.0, x0), max(0.0, y0), min(1.0, x1), min(1.0, y1)
    inside = max(0.0, cx1 - cx0) * max(0.0, cy1 - cy0)
    if area <= 0 or inside < MIN_INSIDE * area:
        return None
    px = image[int(cy0 * h):int(np.ceil(cy1 * h)), int(cx0 * w):int(np.ceil(cx1 * w))].reshape(-1, 3)
    return px if len(px) >= MIN_PIXELS else None


def median_rgb(image: np.ndarray, region: Box) -> tuple[int, int, int] | None:
    """Median colour ``(r, g, b)`` of ``image`` ``(H, W, 3) uint8`` inside ``region``, or None when
    too little of the region is in the frame."""
    px = _region_pixels(image, region)
    if px is None:
        return None
    r, g, b = np.median(px, axis=0)
    return int(r), int(g), int(b)


def majority_rgb(image: np.ndarray, region: Box, majority: float = COLOUR_MAJORITY) -> tuple[int, int, int] | None:
    """The colour ``(r, g, b)`` that at least ``majority`` of the pixels of ``image`` ``(H, W, 3)
    uint8`` inside ``region`` are named by (:func:`colour_names`), or None when no name has that
    share or too little of the region is in the frame.  The colour returned is the winning
    pixel nearest to their per-channel median, so that :func:`colour_name` gives back the winner."""
    px = _region_pixels(image, region)
    if px is None:
        return None
    names = colour_names(px)
    counts = np.bincount(names, minlength=len(COLOURS))
    best = int(counts.argmax())
    if counts[best] < majority * len(px):
        return None
    won = px[names == best].astype(np.float64)
    near = won[np.abs(won - np.median(won, axis=0)).sum(axis=1).argmin()]
    return int(near[0]), int(near[1]), int(near[2])
