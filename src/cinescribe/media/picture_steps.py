"""Two cheap per-frame cut signals for what TransNetV2 misses: picture steps and dips to black.

Input: small grey frames, pushed one at a time (``(H, W)`` float32 in ``[0, 1]``; the shot
detector feeds every decoded frame at 96x54).  Output: candidate transitions.

* :class:`StepMeter` -- the *step fraction* of a frame ``i``: the share of pixels that were
  steady over the ``k`` frames before ``i`` (their range under ``tau / 2``), are steady over the
  ``k`` frames from ``i`` on, and whose level changed by more than ``tau`` between the two
  windows.  Each frame is first divided by its mean level, so a global change of exposure or
  light (a cloud, a flash lighting the whole scene) does not count.  Moving things are not
  steady, so camera motion and people walking score low; a hard cut -- to a closer view of the
  same place in the same light, too -- changes much of the picture at once and keeps it.  On
  ``benchmarks/cutset.py`` at 96x54 with ``k = 2``, ``tau = 0.08`` (``benchmarks/cut_signals.py``):
  hard cuts 0.51-0.92, the first half of a 0.6 s wipe 0.37; the real clips without cuts at most
  0.06 (tree.avi, a moving camera at about 2 frames a second); the highest non-cuts were a
  bottle jumping across a 2x crop of cup.mp4 between two frames of the source (0.24), a
  generated pan that moves in whole-pixel jerks (0.24) and the end of the wipe (0.18).  So a
  step counts when at least ``minimum`` = 0.3 of the picture steps (a third of the picture
  changing at once and staying) and it is the largest within ``k`` frames.  It is dropped as a
  *camera move* when the picture before it, blurred by a pixel and shifted by at most ``shift``
  pixels, differs from the new one on fewer than ``back`` times as many pixels (a pan or a shake
  in jerks: the demo's generated pans move a fraction of a pixel every third frame), and as a
  *flash* when one of the next ``settle`` frames is back to the picture before it, or the new
  picture is like one of the ``settle`` frames before the step (fewer than ``back`` times the
  stepped pixels differ).  Windows with a frame darker than ``dark`` are left to :class:`DarkDips`.  A jump cut in one framing where only small people change place is not a
  step: their pixels are a few percent of the frame, as walking makes them (:mod:`.jump_cuts`
  finds those).
* :class:`DarkDips` -- a fade through black: a run of frames darker than ``dark`` (mean level),
  at most ``max_dark`` seconds long (a fade holds black briefly; longer is a dark shot), with
  picture on both sides; the transition is the middle of the run, and its *envelope* is
  the run widened while the level keeps falling before it and rising after it (the fade out
  and the fade in), so that other detections inside it are the same transition.  A fade in from
  black at the start and a fade out at the end are no transition: they are kept as ``edges``,
  where other detections are no cut either (there is no shot on the other side).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Step:
    """A picture step at ``t`` (the first frame of the new picture) with its step fraction."""

    t: float
    fraction: float


class StepMeter:
    """Streams grey frames; :meth:`push` returns the steps confirmed so far (module docstring)."""

    def __init__(self, k: int = 2, tau: float = 0.08, minimum: float = 0.3, settle: int = 6,
                 back: float = 0.5, shift: int = 3, dark: float = 0.06) -> None:
        self.k, self.tau, self.minimum, self.settle, self.back, self.dark = k, tau, minimum, settle, back, dark
        self.shift = shift
        self.fractions: list[tuple[float, float]] = []  # (t, step fraction) of every measured frame
        self._frames: deque[tuple[float, np.ndarray]] = deque(maxlen=settle + 2 * k + settle + 1)
        self._judged = -np.inf  # time of the last frame judged as a candidate

    def push(self, t: float, grey: np.ndarray) -> list[Step]:
        level = float(grey.mean())
        norm = grey / level if level >= self.dark else None  # black: no structure to compare
        self._frames.append((t, norm))
        return self._check()

    def finish(self) -> list[Step]:
        """No more frames: the frames not yet judged are judged with the frames there are."""
        frames = list(self._frames)
        out = []
        for i in range(self.k, len(frames) - self.k + 1):
            if frames[i][0] <= self._judged:
                continue
            ti, fraction, changed, before = self._measure(frames, i)
            if fraction >= self.minimum and self._is_peak(frames, i, fraction) \
                    and not self._is_flash(frames, i, before, changed) \
                    and not self._is_motion(frames, i, before, fraction):
                out.append(Step(ti, fraction))
        self._frames.clear()
        self._judged = -np.inf
        return out

    def _measure(self, frames: list, i: int) -> tuple[float, float, np.ndarray, np.ndarray]:
        k, tau = self.k, self.tau
        if any(f is None for _, f in frames[i - k:i + k]):  # into or out of black: for DarkDips
            return frames[i][0], 0.0, np.zeros((1, 1), bool), np.zeros((1, 1), np.float32)
        before = np.stack([f for _, f in frames[i - k:i]])
        after = np.stack([f for _, f in frames[i:i + k]])
        steady = (np.ptp(before, axis=0) < tau / 2) & (np.ptp(after, axis=0) < tau / 2)
        b = before.mean(axis=0)
        changed = steady & (np.abs(after.mean(axis=0) - b) > tau)
        return frames[i][0], float(changed.mean()), changed, b

    def _is_peak(self, frames: list, i: int, fraction: float) -> bool:
        for j in range(max(self.k, i - self.k), min(len(frames) - self.k, i + self.k) + 1):
            if j != i and self._measure(frames, j)[1] > fraction:
                return False
        return True

    def _is_flash(self, frames: list, i: int, before: np.ndarray, changed: np.ndarray) -> bool:
        """Whether the picture goes back within ``settle`` frames: one after the step is like the one
        before it, or the new picture is like one of the ``settle`` frames before the step window
        (the end of a flash), on the pixels that stepped."""
        k = self.k
        after = np.stack([f for _, f in frames[i:i + k]]).mean(axis=0)
        n = changed.sum()
        pairs = [(f, before) for _, f in frames[i + k:i + k + self.settle] if f is not None]
        pairs += [(f, after) for _, f in frames[max(0, i - k - self.settle):i - k] if f is not None]
        return any((changed & (np.abs(f - ref) > self.tau)).sum() < self.back * n for f, ref in pairs)

    def _is_motion(self, frames: list, i: int, before: np.ndarray, fraction: float) -> bool:
        """Whether the picture before, shifted by at most ``shift`` pixels, explains the new one (a
        camera move in jerks), i.e. leaves fewer than ``back`` times the stepped pixels different.
        Both are blurred (Gaussian, 1 pixel) first, so that a shift by a fraction of a pixel of a
        finely textured picture is explained too."""
        after = cv2.GaussianBlur(np.stack([f for _, f in frames[i:i + self.k]]).mean(axis=0), (0, 0), 1.0)
        before = cv2.GaussianBlur(before, (0, 0), 1.0)
        s = self.shift
        h, w = after.shape
        for dy in range(-s, s + 1):
            for dx in range(-s, s + 1):
                a = after[s + dy:h - s + dy, s + dx:w - s + dx]
                b = before[s:h - s, s:w - s]
                if (np.abs(a - b) > self.tau).mean() < self.back * fraction:
                    return True
        return False

    def _check(self) -> list[Step]:
        frames = list(self._frames)
        k = self.k
        if len(frames) >= 2 * k:  # the frame with k frames after it is measured
            j = len(frames) - k
            self.fractions.append((frames[j][0], self._measure(frames, j)[1]))
        i = len(frames) - k - self.settle  # the candidate: k frames before it, k + settle after
        if i < k:
            return []
        ti, fraction, changed, before = self._measure(frames, i)
        self._judged = ti
        if fraction < self.minimum or not self._is_peak(frames, i, fraction):
            return []
        if self._is_flash(frames, i, before, changed) or self._is_motion(frames, i, before, fraction):
            return []
        return [Step(ti, fraction)]


@dataclass(frozen=True)
class Dip:
    """A fade (or cut) through black: the transition at ``t``, the dark run and its envelope (seconds)."""

    t: float
    dark_start: float
    dark_end: float
    start: float
    end: float


class DarkDips:
    """Streams mean levels; :meth:`push` returns each dip to black once the picture is back (module docstring).

    ``rise``: the least relative change of mean level from one frame to the next that still
    counts as fading (below it the fade out has not begun, or the fade in is over): a linear fade
    of one second changes the level by at least 4% a frame at 25 frames a second.  A dark run longer
    than ``max_dark`` seconds is a dark shot of its own (a night scene), not a dip.
    """

    def __init__(self, dark: float = 0.06, rise: float = 0.02, max_dark: float = 2.0, history: int = 400) -> None:
        self.dark, self.rise, self.max_dark = dark, rise, max_dark
        self._levels: deque[tuple[float, float]] = deque(maxlen=history)  # before the current dark run
        self._seen_picture = False
        self._run: list[float] = []  # times of the current dark run
        self._after: list[tuple[float, float]] = []  # frames since the run ended, while the picture brightens
        self._start = 0.0
        self._last = 0.0
        self._picture_before = False
        self.edges: list[tuple[float, float]] = []  # (start, end) of a fade in from black at the start, out at the end

    def push(self, t: float, level: float) -> list[Dip]:
        self._last = t
        if level < self.dark:
            out = self._close()
            if not self._run:
                self._start = self._envelope_start(t)
                self._picture_before = self._seen_picture
            self._run.append(t)
            return out
        if self._run:
            if not self._rising_stopped(level):
                self._after.append((t, level))
                return []
            return self._close() + self._after_push(t, level)
        return self._after_push(t, level)

    def finish(self) -> list[Dip]:
        """The stream ended: a dip whose fade in is still going ends at the last frame; a fade out
        at the end is an edge."""
        if self._run and not self._after:
            self.edges.append((self._start, self._last))
            self._run = []
        return self._close() if self._after else []

    def _after_push(self, t: float, level: float) -> list[Dip]:
        self._levels.append((t, level))
        self._seen_picture = True
        return []

    def _rising_stopped(self, level: float) -> bool:
        """Whether the fade in is over: the level is not above the one two frames before by ``rise``
        a frame (two frames, as encoders brighten a fade unevenly)."""
        if len(self._after) < 2:
            return False
        return level <= self._after[-2][1] * (1 + self.rise) ** 2

    def _envelope_start(self, t: float) -> float:
        """The start of the fade out before the dark run: back while the level two frames earlier
        was higher by ``rise`` a frame."""
        levels = list(self._levels)
        j = len(levels) - 1
        while j >= 2 and levels[j - 2][1] > levels[j][1] * (1 + self.rise) ** 2:
            j -= 1
        return levels[j][0] if levels else t

    def _close(self) -> list[Dip]:
        if not self._run or not self._after:
            return []
        run, after = self._run, self._after
        dip = Dip((run[0] + after[0][0]) / 2, run[0], after[0][0], self._start, after[-1][0])
        self._run, self._after = [], []
        self._levels.clear()
        for item in after:
            self._levels.append(item)
        if not self._picture_before:
            self.edges.append((dip.start, dip.end))
            return []
        return [dip] if dip.dark_end - dip.dark_start <= self.max_dark else []
