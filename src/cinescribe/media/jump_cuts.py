"""Jump cuts in a still camera: many separate places change at once and stay changed.

Input: small grey frames pushed one at a time (``(H, W)`` float32 in ``[0, 1]``; the combined shot
detector feeds every decoded frame at 96x54).  Output: :class:`Jump` candidates.

A cut between two moments of one fixed framing (the same background, people elsewhere) changes a
few percent of the picture -- as little as a walking crowd does -- so the picture-step fraction
cannot see it.  What differs is *how* it changes:

* each frame is divided by its mean level and blurred by ``blur`` pixels; a pixel of a pair of
  frames is *unexplained* when no pixel of the other frame within ``reach`` pixels (either way)
  is within ``tau`` of it.  A thing that moved a few pixels -- a walker, even one that skipped a
  frame of the recording -- is explained by its old place; a person who appears or vanishes is not;
* a pixel *steps* at frame ``i`` when it is unexplained between frames ``i - 1`` and ``i`` and not
  within ``near`` pixels of anything unexplained in the ``window`` frame pairs before and after
  (what keeps changing -- a big walker in a close view, leaves in the wind -- is not a step);
* the stepping pixels, opened by a 2x2 square (thin slivers along edges go), are grouped into
  *regions*: pieces fewer than ``2 * merge`` pixels apart are one; regions smaller than ``least`` pixels
  do not count.  The *region count* of frame ``i`` is the signal;
* a jump is a frame whose region count reaches ``regions`` while the camera is still: among all
  whole-picture shifts by up to ``reach`` pixels, none leaves fewer pixels changed than no shift.

On ``benchmarks/cutset.py``, the demo and the four real clips (``benchmarks/cut_signals.py
--jumps``, at 96x54 with the defaults), with the camera still: the two jump cuts of
``hard:vtest-jump`` count 4 and 3 regions; frames without a cut count at most 1 (vtest.avi's own
skip at 40.4 s, where one man vanishes and two move on, counts 1) and the end of a wipe between
two framings of the campus 2.  tree.avi's moving camera reaches 4 but is not still.  So
``regions`` = 3 is one more than the most a still frame without a cut reached; ``--sweep``: 2
adds that wipe's end as a false cut, 4 misses the jump that counts 3.  The margin is one region:
a jump cut where only one or two people change place is not found, nor one in a shaking camera.
Frames darker than ``dark`` are left to the dips to black.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Jump:
    """A jump cut at ``t`` (the first frame of the new moment) with its region count."""

    t: float
    regions: int


class JumpMeter:
    """Streams grey frames; :meth:`push` returns the jumps confirmed so far (module docstring)."""

    def __init__(self, reach: int = 4, tau: float = 0.25, blur: float = 0.7, window: int = 2, near: int = 2,
                 merge: int = 3, least: int = 6, regions: int = 3, dark: float = 0.06) -> None:
        self.reach, self.tau, self.blur, self.window, self.near = reach, tau, blur, window, near
        self.merge, self.least, self.regions, self.dark = merge, least, regions, dark
        self.counts: list[tuple[float, int]] = []  # (t, region count) of every judged frame
        self._last: np.ndarray | None = None  # the last picture (None: dark)
        self._started = False
        # per frame pair: (t of the later frame, unexplained mask, earlier and later picture); None when dark
        self._pairs: deque[tuple[float, np.ndarray, np.ndarray, np.ndarray] | tuple[float, None, None, None]] = \
            deque(maxlen=2 * window + 1)
        self._square = np.ones((2, 2), np.uint8)

    def push(self, t: float, grey: np.ndarray) -> list[Jump]:
        level = float(grey.mean())
        picture = cv2.GaussianBlur(grey / level, (0, 0), self.blur) if level >= self.dark else None
        before, self._last = self._last, picture
        if not self._started:
            self._started = True
            return []
        if picture is None or before is None:
            self._pairs.append((t, None, None, None))
        else:
            self._pairs.append((t, self._unexplained(before, picture), before, picture))
        return self._judge(len(self._pairs) - 1 - self.window)

    def finish(self) -> list[Jump]:
        """No more frames: the last pairs are judged with the pairs there are after them."""
        out = []
        for i in range(max(0, len(self._pairs) - self.window), len(self._pairs)):
            out += self._judge(i)
        self._pairs.clear()
        self._last, self._started = None, False
        return out

    def _unexplained(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Pixels of ``b`` no pixel of ``a`` within ``reach`` matches, or of ``a`` none of ``b`` matches.

        Only pixels that changed in place (by more than ``tau``) can be unexplained, so only those
        are searched: each against its ``(2 reach + 1)^2`` neighbours in one gather."""
        out = np.zeros(b.shape, bool)
        ys, xs = np.nonzero(np.abs(b - a) > self.tau)
        if len(ys):
            out[ys, xs] = self._one_way(a, b, ys, xs) | self._one_way(b, a, ys, xs)
        return out

    def _one_way(self, a: np.ndarray, b: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        r = self.reach
        width = b.shape[1] + 2 * r
        padded = cv2.copyMakeBorder(a, r, r, r, r, cv2.BORDER_REPLICATE).ravel()
        around = (np.arange(2 * r + 1)[:, None] * width + np.arange(2 * r + 1)[None, :]).ravel()
        near = padded[(ys * width + xs)[:, None] + around[None, :]]
        return np.abs(near - b[ys, xs][:, None]).min(axis=1) > self.tau

    def _judge(self, i: int) -> list[Jump]:
        """Count the regions of pair ``i`` (of the pairs held); a jump when enough and the camera is still."""
        pairs = list(self._pairs)
        if i < 0 or i >= len(pairs):
            return []
        t, mask, a, b = pairs[i]
        if mask is None or not mask.any():
            self.counts.append((t, 0))
            return []
        others = np.zeros(mask.shape, np.uint8)
        for j in range(max(0, i - self.window), min(len(pairs), i + self.window + 1)):
            if j != i and pairs[j][1] is not None:
                others |= pairs[j][1].astype(np.uint8)
        kernel = np.ones((2 * self.near + 1, 2 * self.near + 1), np.uint8)
        steps = mask.astype(np.uint8) & (1 - cv2.dilate(others, kernel))
        steps = cv2.morphologyEx(steps, cv2.MORPH_OPEN, self._square)
        count = self._count(steps)
        self.counts.append((t, count))
        if count < self.regions or not self._still(a, b):
            return []
        return [Jump(t, count)]

    def _count(self, steps: np.ndarray) -> int:
        if not steps.any():
            return 0
        kernel = np.ones((2 * self.merge + 1, 2 * self.merge + 1), np.uint8)
        n, labels = cv2.connectedComponents(cv2.dilate(steps, kernel), connectivity=8)
        sizes = np.bincount(labels[steps > 0], minlength=n)
        return int((sizes[1:] >= self.least).sum())

    def _still(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Whether no whole-picture shift by up to ``reach`` pixels leaves fewer pixels changed than none."""
        r = self.reach
        inner = b[r:-r, r:-r]
        h, w = inner.shape
        changed = {(dy, dx): int((np.abs(inner - a[r + dy:r + dy + h, r + dx:r + dx + w]) > self.tau).sum())
                   for dy in range(-r, r + 1) for dx in range(-r, r + 1)}
        return changed[(0, 0)] <= min(changed.values())
