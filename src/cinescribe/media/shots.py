"""Shot cuts and scenes from sampled frames, computed as a stream.

Input: :class:`~cinescribe.media.frames.Frame` objects pushed one at a time into a
:class:`ShotDetector` (so one decode pass can feed several consumers; :meth:`ShotDetector.tap`
says at what rate and size), then :meth:`ShotDetector.finish` at the end.  Output: cut
times (seconds), :class:`Shot` spans, per-shot mean colour histograms, and -- via
:func:`group_scenes` -- :class:`Scene` groups of shots.

Detectors, chosen by name with :func:`make_detector` (PySceneDetect-style):

* ``combined`` (default): ``transnetv2`` on every 2nd frame plus two cheap signals on every
  frame at 96x54 (:mod:`.picture_steps`) for what the network misses: a *picture step* (a third
  of the picture changing at once and staying: a cut to a 2x closer view of the same moment, a
  wipe), a *jump cut* in a still camera (:mod:`.jump_cuts`: several separate places change at
  once and stay) and a *dip to black* (a fade through black, one transition); see
  :class:`CombinedDetector`.  On the labelled cut set (``benchmarks/bench_cuts.py``) it found
  every cut, the jump cuts within one static framing of vtest.avi too, with no false cut.
* ``transnetv2``: the TransNetV2 network (:mod:`.transnet`) on every 2nd decoded frame at
  48x27; see :class:`TransNetDetector`.  On the labelled cut set of ``benchmarks/cutset.py``
  (real clips, montages of them, dissolves, fades, a wipe) it had the best F1 of the single
  detectors measured (with PySceneDetect's): every cut from a wide shot to a closer view of the
  same place in the same light, no false cut on the real clips, and more of the gradual
  transitions; it missed jump cuts within one framing, a cut to a 2x closer view of the same
  moment, a wipe and a fade through black (0.44 against its 0.5 threshold).
* ``content``: each frame becomes a small colour signature: a
  saturation-weighted hue histogram, a saturation histogram and a histogram of value
  relative to the frame's mean value.  All three are unchanged when brightness is
  scaled, so fades and exposure changes score low.  The score of a frame is the mean
  half-L1 distance of its histograms to the previous frame's (0 = same, 1 = disjoint).
  A cut is declared when the score exceeds both ``threshold`` and ``ratio`` times the
  mean of the last ``window`` scores (adaptive: busy camera motion raises the bar),
  and at least ``min_shot`` seconds after the previous cut.  Frames darker than
  ``dark`` (mean luma) are "black": black-to-black scores 0.  Going into black is
  a hard cut if the luma drops by more than ``dark_jump`` without dimming on the
  frame before, else a fade out.  Leaving black is judged one frame later: if the
  picture keeps brightening it is a fade in -- one cut at the middle of the black
  stretch when it followed a fade out and the pictures before and after differ,
  else no cut (fade from black at the start, or back to the same picture); if it
  does not and its luma jumped by more than ``dark_jump``, the first frame out of
  black is a hard cut.  A fade out at the end is no cut.
* ``threshold``: only fades -- a cut at the middle of each black stretch that has
  picture on both sides.

The cut time is the time of the first frame that shows the new shot, so the true
cut lies in ``(previous sample, cut]`` -- within one sample period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, Sequence

import cv2
import numpy as np

from .framepass import Tap
from .frames import Frame

HUE_BINS, SAT_BINS, VAL_BINS = 16, 8, 12
SIDE = 256  # longer side of the frames the histogram detectors are fed


@dataclass(frozen=True)
class Shot:
    """One shot: ``[start, end)`` seconds."""

    index: int
    start: float
    end: float

    def to_dict(self) -> dict:
        return {"index": self.index, "start": round(self.start, 3), "end": round(self.end, 3)}


@dataclass(frozen=True)
class Scene:
    """Consecutive shots grouped into one scene."""

    index: int
    start: float
    end: float
    shot_indices: tuple[int, ...]

    def to_dict(self) -> dict:
        return {"index": self.index, "start": round(self.start, 3), "end": round(self.end, 3),
                "shots": list(self.shot_indices)}


# -- frame signature ----------------------------------------------------------------

def frame_signature(image: np.ndarray) -> tuple[np.ndarray, float]:
    """``(histogram vector, mean luma in [0, 1])`` of an RGB uint8 image.

    The vector is three concatenated histograms (hue weighted by saturation, summing
    to the mean saturation; saturation; value / mean value), each for
    :func:`signature_distance`.
    """
    h, w = image.shape[:2]
    sw = 64
    sh = max(1, round(sw * h / max(w, 1)))
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.float32)
    n = len(hsv)
    sat = hsv[:, 1] / 255.0
    hue = np.bincount((hsv[:, 0] * HUE_BINS / 180).astype(int).clip(0, HUE_BINS - 1),
                      weights=sat, minlength=HUE_BINS) / n
    sath = np.bincount((sat * SAT_BINS).astype(int).clip(0, SAT_BINS - 1), minlength=SAT_BINS) / n
    val = hsv[:, 2]
    rel = val / (val.mean() + 1e-6)
    valh = np.bincount((rel * VAL_BINS / 3).astype(int).clip(0, VAL_BINS - 1), minlength=VAL_BINS) / n
    luma = float(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).mean() / 255.0)
    return np.concatenate([hue, sath, valh]).astype(np.float32), luma


def signature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean half-L1 distance of the three histograms: 0 same .. 1 disjoint."""
    d = np.abs(a - b)
    h, s = HUE_BINS, HUE_BINS + SAT_BINS
    return float((d[:h].sum() + d[h:s].sum() + d[s:].sum()) / 6.0)


# -- detectors ----------------------------------------------------------------------

class ShotDetector(Protocol):
    """Consumes frames one by one; reports cuts and shots."""

    name: str

    def tap(self, fps: float) -> Tap:
        """The frames this detector wants from the decode pass (``fps``: the pass's sampling rate)."""

    def push(self, frame: Frame) -> float | None:
        """Feed the next frame; return a cut time if this frame confirms one."""

    def finish(self) -> float | None:
        """The stream has ended: decide what is still pending; return a last cut, if any."""

    def cuts(self) -> list[float]:
        """All cut times so far (seconds, ascending)."""

    def shots(self, duration: float | None = None) -> list[Shot]:
        """Shots between the cuts; the last ends at ``duration`` or after the last frame."""

    def shot_features(self) -> list[np.ndarray]:
        """Mean colour signature of each shot (same order as :meth:`shots`)."""


class _Base:
    """Shared bookkeeping: cut list, shot spans and per-shot mean signatures."""

    name = "base"

    def __init__(self, dark: float = 0.06) -> None:
        self.dark = dark
        self._cuts: list[float] = []
        self._sums: list[np.ndarray] = []  # per shot: sum of bright-frame signatures
        self._counts: list[int] = []
        self._any: list[np.ndarray | None] = []  # a signature of the shot, even if all dark
        self._first_t: float | None = None
        self._last_t = 0.0
        self._period = 0.0

    def _open_shot(self) -> None:
        self._sums.append(np.zeros(HUE_BINS + SAT_BINS + VAL_BINS, np.float32))
        self._counts.append(0)
        self._any.append(None)

    def _add(self, t: float, sig: np.ndarray, luma: float) -> None:
        if not self._sums:
            self._open_shot()
        if luma >= self.dark:
            self._sums[-1] += sig
            self._counts[-1] += 1
        if self._any[-1] is None:
            self._any[-1] = sig
        if self._first_t is None:
            self._first_t = t
        elif t > self._last_t:
            self._period = t - self._last_t
        self._last_t = t

    def _cut(self, t: float) -> float:
        self._cuts.append(t)
        self._open_shot()
        return t

    def tap(self, fps: float) -> Tap:
        return Tap(fps=fps, max_side=SIDE)

    def finish(self) -> float | None:
        """Nothing pending here; a detector that holds frames back scores them (it may be called again)."""
        return None

    def cuts(self) -> list[float]:
        self.finish()
        return list(self._cuts)

    def shots(self, duration: float | None = None) -> list[Shot]:
        self.finish()
        if self._first_t is None:
            return []
        end = duration if duration is not None else self._last_t + self._period
        bounds = [0.0] + self._cuts + [max(end, self._cuts[-1] if self._cuts else 0.0)]
        return [Shot(i, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]

    def shot_features(self) -> list[np.ndarray]:
        self.finish()
        out = []
        for s, c, a in zip(self._sums, self._counts, self._any):
            out.append(s / c if c else (a if a is not None else s))
        return out


class ContentDetector(_Base):
    """Histogram-difference cuts with an adaptive threshold and fade handling."""

    name = "content"

    def __init__(self, threshold: float = 0.25, ratio: float = 3.0, window: int = 8,
                 min_shot: float = 0.6, dark: float = 0.06, dark_jump: float = 0.15) -> None:
        super().__init__(dark)
        self.threshold, self.ratio, self.window = threshold, ratio, window
        self.min_shot, self.dark_jump = min_shot, dark_jump
        self.scores: list[tuple[float, float]] = []  # (t, score) for inspection
        self._recent: list[float] = []
        self._prev: tuple[float, np.ndarray, float] | None = None  # t, sig, luma
        self._before_dark: np.ndarray | None = None  # last bright signature before black
        self._dark_start: float | None = None
        self._pprev_luma: float | None = None
        self._pending: tuple[float, float | None, np.ndarray | None, float, float] | None = None

    def push(self, frame: Frame) -> float | None:
        sig, luma = frame_signature(frame.image)
        t = frame.t
        cut = self._decide(t, sig, luma)
        if cut is not None:
            self._cut(cut)
            self._recent.clear()
        self._add(t, sig, luma)
        self._pprev_luma = self._prev[2] if self._prev else None
        self._prev = (t, sig, luma)
        return cut

    def _decide(self, t: float, sig: np.ndarray, luma: float) -> float | None:
        last_cut = self._cuts[-1] if self._cuts else -np.inf
        ok_len = t - last_cut >= self.min_shot
        dark = luma < self.dark
        if self._pending is not None:  # the frame after leaving black: fade-in or sudden?
            pt0, start, before, emerged_luma, jump = self._pending
            self._pending = None
            fading_in = not dark and luma > emerged_luma * 1.2 + 0.01
            if not fading_in and jump > self.dark_jump:
                if pt0 - last_cut >= self.min_shot:
                    return pt0
            elif before is not None and start is not None and signature_distance(before, sig) > self.threshold:
                mid = (start + pt0) / 2
                if mid - last_cut >= self.min_shot:
                    return mid
        if self._prev is None:
            if dark:
                self._dark_start = t
            return None
        pt, psig, pluma = self._prev
        pdark = pluma < self.dark
        if dark and pdark:
            return None
        if dark:  # into black: a fade if it was already dimming, else a hard cut if sudden
            fading_out = self._pprev_luma is not None and pluma < 0.85 * self._pprev_luma
            self._dark_start = t
            if not fading_out and pluma - luma > self.dark_jump and ok_len:
                self._before_dark = None  # the cut is made; leaving black is judged alone
                return t
            self._before_dark = psig
            return None
        if pdark:  # out of black: decided on the next frame (see above)
            self._pending = (t, self._dark_start, self._before_dark, luma, luma - pluma)
            self._dark_start, self._before_dark = None, None
            return None
        score = signature_distance(psig, sig)
        self.scores.append((t, score))
        recent = self._recent[-self.window:]
        base = float(np.mean(recent)) if recent else 0.0
        self._recent.append(score)
        if score > self.threshold and score > self.ratio * base + 0.02 and ok_len:
            return t
        return None


class ThresholdDetector(_Base):
    """Fade-only cuts: the middle of each black stretch with picture on both sides."""

    name = "threshold"

    def __init__(self, dark: float = 0.06, min_shot: float = 0.6) -> None:
        super().__init__(dark)
        self.min_shot = min_shot
        self._seen_bright = False
        self._dark_start: float | None = None

    def push(self, frame: Frame) -> float | None:
        sig, luma = frame_signature(frame.image)
        cut = None
        if luma < self.dark:
            if self._seen_bright and self._dark_start is None:
                self._dark_start = frame.t
        else:
            if self._dark_start is not None:
                mid = (self._dark_start + frame.t) / 2
                last = self._cuts[-1] if self._cuts else -np.inf
                if mid - last >= self.min_shot:
                    cut = self._cut(mid)
                self._dark_start = None
            self._seen_bright = True
        self._add(frame.t, sig, luma)
        return cut


class TransNetDetector(_Base):
    """TransNetV2 (:mod:`.transnet`) over frames at the rate they are pushed.

    Every pushed frame is shrunk to 48x27 and scored with the context of 25 frames on each
    side, so a frame's score is known up to 75 frames later: :meth:`push` reports cuts late,
    and :meth:`finish` (called by :meth:`cuts` and :meth:`shots`) scores the last frames.
    Consecutive frames scoring above ``threshold`` form one transition (a hard cut scores one
    or two frames, a dissolve a run): its cut time is the first frame after the run's peak,
    the first frame that shows the new shot as mostly new.  The network is fed every
    ``every``-th decoded frame, or at ``fps`` when given.  Every 2nd frame (the default) found
    the same hard cuts as every frame on the labelled cut set (``benchmarks/bench_cuts.py``:
    hard recall 0.84 both, no false cut on the real clips) at half the cost.  The network runs
    on the torch ``device`` (``"cpu"`` or ``"cuda"``).
    """

    name = "transnetv2"

    def __init__(self, threshold: float = 0.5, every: int = 2, fps: float | None = None, min_shot: float = 0.3,
                 dark: float = 0.06, device: str = "cpu") -> None:
        from .transnet import TransNetScorer, load_transnet

        super().__init__(dark)
        self.threshold, self.every, self.fps, self.min_shot = threshold, every, fps, min_shot
        self.scores: list[tuple[float, float]] = []  # (t, single-frame transition probability)
        self._scorer = TransNetScorer(_shared_transnet(load_transnet, device), device)
        self._waiting: list[tuple[float, np.ndarray, float]] = []  # frames pushed, not yet scored
        self._run: list[tuple[float, float]] = []  # (t, p) of the current run above threshold

    def tap(self, fps: float) -> Tap:
        from .transnet import HEIGHT, WIDTH

        return Tap(fps=self.fps, size=(WIDTH, HEIGHT), every=self.every)

    def push(self, frame: Frame) -> float | None:
        from .transnet import HEIGHT, WIDTH

        image = frame.image
        if image.shape[:2] != (HEIGHT, WIDTH):
            image = cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
        self._waiting.append((frame.t, *frame_signature(image)))
        return self._take(self._scorer.push(np.ascontiguousarray(image)))

    def finish(self) -> float | None:
        """Score the frames still waiting; the last cut found, if any."""
        cut = self._take(self._scorer.finish()) if self._waiting else None
        return self._close_run() or cut

    def _take(self, scored: list[tuple[float, float]]) -> float | None:
        cut = None
        for single, _many in scored:
            t, sig, luma = self._waiting.pop(0)
            self.scores.append((t, single))
            if single > self.threshold:
                self._run.append((t, single, sig, luma))
                continue
            cut = self._close_run((t, single, sig, luma)) or cut
        return cut

    def _close_run(self, below: tuple | None = None) -> float | None:
        """End the current run above threshold (``below``: the frame after it) and add its frames."""
        frames = self._run + ([below] if below is not None else [])
        self._run = []
        cut_at = None
        if len(frames) > (1 if below is not None else 0):
            peak = max(range(len(frames) - (below is not None)), key=lambda i: frames[i][1])
            if peak + 1 < len(frames):
                t = frames[peak + 1][0]
                last = self._cuts[-1] if self._cuts else (self._first_t if self._first_t is not None else t)
                if t - last >= self.min_shot:
                    cut_at = t
        for t, _p, sig, luma in frames:
            if t == cut_at:
                self._cut(t)
            self._add(t, sig, luma)
        return cut_at


class CombinedDetector(_Base):
    """TransNetV2 plus picture steps, jump cuts and dips to black for what it misses.

    Fed every decoded frame at 96x54 (:meth:`tap`): every ``every``-th frame goes, shrunk to
    48x27, to a :class:`TransNetDetector`; every frame's grey picture to a
    :class:`~.picture_steps.StepMeter` and a :class:`~.jump_cuts.JumpMeter`, and its mean level to
    :class:`~.picture_steps.DarkDips`.
    At :meth:`finish` the three are merged: a dip to black is one transition at the middle of its
    dark run, and TransNetV2 cuts inside its envelope (the fade out and in) are the same
    transition; nothing inside a fade in from black at the start or a fade out at the end is a
    cut; a picture step, and then a jump, is a cut unless a cut found before or a dip lies within
    ``min_shot`` of it;
    cuts closer than ``min_shot`` to the previous one are dropped.
    :attr:`evidence` keeps, per cut, where it came from and its score.  The per-frame
    signatures for the shot features (36 floats per TransNetV2 frame) are held until the end.
    TransNetV2 runs on the torch ``device``.
    """

    name = "combined"
    SIZE = (96, 54)

    def __init__(self, threshold: float = 0.5, every: int = 2, min_shot: float = 0.3, dark: float = 0.06,
                 step: float = 0.3, jump: int = 3, transnet: "TransNetDetector | None" = None,
                 device: str = "cpu") -> None:
        from .jump_cuts import JumpMeter
        from .picture_steps import DarkDips, StepMeter

        super().__init__(dark)
        self.every, self.min_shot = every, min_shot
        self.transnet = transnet if transnet is not None else TransNetDetector(threshold, every=1, min_shot=min_shot,
                                                                               dark=dark, device=device)
        self.steps = StepMeter(minimum=step, dark=dark)
        self.jumps = JumpMeter(regions=jump, dark=dark)
        self.dips = DarkDips(dark=dark)
        self.evidence: list[dict] = []
        self._found_steps: list = []
        self._found_jumps: list = []
        self._found_dips: list = []
        self._frames: list[tuple[float, np.ndarray, float]] = []
        self._n = 0
        self._done = False

    def tap(self, fps: float) -> Tap:
        return Tap(fps=None, size=self.SIZE)

    def push(self, frame: Frame) -> float | None:
        from .transnet import HEIGHT, WIDTH

        image = frame.image
        if image.shape[:2] != (self.SIZE[1], self.SIZE[0]):
            image = cv2.resize(image, self.SIZE, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
        self._found_steps += self.steps.push(frame.t, grey)
        self._found_jumps += self.jumps.push(frame.t, grey)
        self._found_dips += self.dips.push(frame.t, float(grey.mean()))
        if self._n % self.every == 0:
            small = cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
            self.transnet.push(Frame(frame.index, frame.t, small))
            self._frames.append((frame.t, *frame_signature(small)))
        self._n += 1
        return None

    def finish(self) -> float | None:
        if self._done or not self._frames:
            return None
        self._done = True
        self._found_steps += self.steps.finish()
        self._found_jumps += self.jumps.finish()
        self._found_dips += self.dips.finish()
        self.transnet.finish()
        scores = dict(self.transnet.scores)
        found = []
        for d in self._found_dips:
            found.append((d.t, {"t": d.t, "source": "dip to black", "dark": [d.dark_start, d.dark_end],
                                "span": [d.start, d.end]}))
        for t in self.transnet.cuts():
            if not any(d.start - self.min_shot <= t <= d.end + self.min_shot for d in self._found_dips):
                found.append((t, {"t": t, "source": "transnetv2", "score": _peak(self.transnet.scores, t)}))
        strong = [t for t, _ in found]
        for s in self._found_steps:
            if all(abs(s.t - t) >= self.min_shot for t in strong) and \
                    not any(d.start <= s.t <= d.end for d in self._found_dips):
                found.append((s.t, {"t": s.t, "source": "picture step", "fraction": s.fraction,
                                    "transnetv2": scores.get(s.t)}))
        strong = [t for t, _ in found]
        for j in self._found_jumps:
            if all(abs(j.t - t) >= self.min_shot for t in strong) and \
                    not any(d.start <= j.t <= d.end for d in self._found_dips):
                found.append((j.t, {"t": j.t, "source": "jump cut", "regions": j.regions,
                                    "transnetv2": scores.get(j.t)}))
        found = [(t, ev) for t, ev in found if not any(a <= t < b for a, b in self.dips.edges)]
        last = None
        cuts = []
        for t, ev in sorted(found, key=lambda x: x[0]):
            if last is not None and t - last < self.min_shot or t - self._frames[0][0] < self.min_shot:
                continue
            cuts.append(t)
            self.evidence.append({k: (round(v, 3) if isinstance(v, float) else
                                      [round(x, 3) for x in v] if isinstance(v, list) else v)
                                  for k, v in ev.items() if v is not None})
            last = t
        i = 0
        for t, sig, luma in self._frames:
            while i < len(cuts) and cuts[i] <= t:
                self._cut(cuts[i])
                i += 1
            self._add(t, sig, luma)
        self._frames = []
        return cuts[-1] if cuts else None


def _peak(scores: list[tuple[float, float]], t: float, frames: int = 3) -> float:
    """The highest TransNetV2 score of the ``frames`` scored frames before the cut at ``t``."""
    return max([p for s, p in scores if s < t][-frames:] or [0.0])


_TRANSNET: dict = {}


def _shared_transnet(load: Callable, device: str = "cpu"):
    """One TransNetV2 per process and device (7.6 M parameters, read and checked once)."""
    if device not in _TRANSNET:
        _TRANSNET[device] = load(device=device)
    return _TRANSNET[device]


DETECTORS: dict[str, Callable[..., ShotDetector]] = {
    "content": ContentDetector,
    "threshold": ThresholdDetector,
    "transnetv2": TransNetDetector,
    "combined": CombinedDetector,
}


NETWORK_DETECTORS = frozenset({"transnetv2", "combined"})  # the detectors that run a torch model


def make_detector(name: str = "content", *, device: str = "cpu", **options: float) -> ShotDetector:
    """A new detector by name (see :data:`DETECTORS`), with keyword options; the ones in
    :data:`NETWORK_DETECTORS` run their network on the torch ``device``, the others ignore it."""
    from ..errors import InputError

    if name not in DETECTORS:
        raise InputError(f"unknown shot detector {name!r}; choose one of: {', '.join(sorted(DETECTORS))}")
    if name in NETWORK_DETECTORS:
        options = {**options, "device": device}
    return DETECTORS[name](**options)


def detect_shots(frames: Iterable[Frame], detector: str | ShotDetector = "content",
                 duration: float | None = None) -> tuple[list[Shot], list[np.ndarray]]:
    """Convenience: push all ``frames`` through a detector; return shots and features."""
    det = make_detector(detector) if isinstance(detector, str) else detector
    for f in frames:
        det.push(f)
    det.finish()
    return det.shots(duration), det.shot_features()


# -- scenes -------------------------------------------------------------------------

def group_scenes(shots: Sequence[Shot], features: Sequence[np.ndarray], *,
                 threshold: float = 0.15, lookback: int = 3) -> list[Scene]:
    """Group consecutive shots into scenes.

    Rule: shots ``j < k`` with ``k - j <= lookback`` are *linked* when the distance of
    their mean signatures (:func:`signature_distance`) is below ``threshold``.  A scene
    boundary lies before shot ``i`` unless some link ``(j, k)`` spans it
    (``j < i <= k``).  So A/B/A (shot-reverse-shot) is one scene -- the two A shots
    link across B -- and so is A/A; A/B with nothing linking is two scenes.
    """
    if len(features) != len(shots):
        raise ValueError("need one feature vector per shot")
    n = len(shots)
    if n == 0:
        return []
    joined = [False] * n  # joined[i]: no boundary before shot i
    for k in range(1, n):
        for j in range(max(0, k - lookback), k):
            if signature_distance(features[j], features[k]) < threshold:
                for i in range(j + 1, k + 1):
                    joined[i] = True
                break
    scenes: list[Scene] = []
    members: list[int] = [0]
    for i in range(1, n + 1):
        if i == n or not joined[i]:
            scenes.append(Scene(len(scenes), shots[members[0]].start, shots[members[-1]].end, tuple(members)))
            members = [i]
        else:
            members.append(i)
    return scenes
