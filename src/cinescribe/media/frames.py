"""Frames sampled from a video at a fixed rate, decoded as a stream.

Input: a video path, a sampling rate ``fps`` and optional ``start``/``end`` seconds.
Output: an iterator of :class:`Frame` -- ``index`` is the sampling instant's number k
(instant ``k / fps``), ``t`` the presentation time in seconds of the decoded frame
nearest that instant, ``image`` an ``(H, W, 3)`` uint8 RGB array as displayed
(rotation applied) with the longer side at most ``max_side`` pixels.

Decoding is streamed with multithreaded decode; only the current and previous decoded
frames are held, and only chosen frames are converted (PyAV ``reformat`` scales and
converts in one libswscale call).  When the sampling rate exceeds the video's frame
rate, consecutive samples may repeat the same picture.  ``start > 0`` seeks to the
keyframe before ``start``.  Packets that fail to decode are skipped and counted
(``FrameStream.corrupt_packets``; one warning on the ``cinescribe`` logger at the end);
a read error ends the stream early with a warning instead of raising.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from typing import Iterator

import av
import numpy as np

from ..errors import InputError
from .probe import AV_ERRORS, open_container, stream_rotation

log = logging.getLogger("cinescribe.media")


@dataclass
class Frame:
    """One sampled frame: sample number, time in seconds, RGB image (H, W, 3) uint8."""

    index: int
    t: float
    image: np.ndarray


def output_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """``(width, height)`` scaled down so the longer side is at most ``max_side``."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    s = max_side / max(width, height)
    return max(1, round(width * s)), max(1, round(height * s))


class FrameStream:
    """Iterator of :class:`Frame`; see the module docstring.  Also a context manager."""

    def __init__(self, path: str | os.PathLike[str], fps: float, *, max_side: int | None = 640,
                 start: float = 0.0, end: float | None = None) -> None:
        if not fps or fps <= 0 or not math.isfinite(fps):
            raise InputError(f"frame sampling rate must be a positive number (got {fps})")
        if start < 0 or (end is not None and end <= start):
            raise InputError(f"bad time range: start={start}, end={end}; need 0 <= start < end")
        self.path = path
        self.fps = float(fps)
        self.max_side = max_side
        self.start = float(start)
        self.end = end
        self.corrupt_packets = 0
        self.rotation = 0
        self._container = open_container(path)
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"{path}: has no video stream; cinescribe needs a video to describe")
        self._gen = self._generate()

    def __iter__(self) -> "FrameStream":
        return self

    def __next__(self) -> Frame:
        return next(self._gen)

    def close(self) -> None:
        self._gen.close()
        self._container.close()

    def __enter__(self) -> "FrameStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- decoding -------------------------------------------------------------------
    def _decoded(self) -> Iterator[av.VideoFrame]:
        c = self._container
        v = c.streams.video[0]
        v.thread_type = "AUTO"
        if self.start > 0:
            try:
                c.seek(int(self.start / v.time_base), stream=v, backward=True, any_frame=False)
            except AV_ERRORS:
                c.seek(0)
        try:
            for packet in c.demux(v):
                try:
                    frames = packet.decode()
                except AV_ERRORS:
                    self.corrupt_packets += 1
                    continue
                yield from frames
        except AV_ERRORS as exc:
            log.warning("%s: reading stopped early (%s); using the frames decoded so far",
                        os.fspath(self.path), exc)

    def _convert(self, frame: av.VideoFrame) -> np.ndarray:
        return convert(frame, output_size(frame.width, frame.height, self.max_side), self.rotation)

    def _generate(self) -> Iterator[Frame]:
        sampler = InstantSampler(self.fps, self.start, self.end)
        cache: tuple[float, np.ndarray] | None = None  # converted picture of the last emitted frame
        first = True
        try:
            for frame in self._decoded():
                if first:
                    self.rotation = stream_rotation(self._container.streams.video[0], frame)
                    first = False
                for k, pt, pf in sampler.feed(frame.time, frame):
                    if cache is None or cache[0] != pt:
                        cache = (pt, self._convert(pf))
                    yield Frame(k, pt, cache[1])
                if sampler.finished:
                    break
            for k, pt, pf in sampler.tail(half_frame(self._container, self.fps)):
                if cache is None or cache[0] != pt:
                    cache = (pt, self._convert(pf))
                yield Frame(k, pt, cache[1])
        finally:
            if self.corrupt_packets:
                log.warning("%s: skipped %d corrupt video packet(s)", os.fspath(self.path), self.corrupt_packets)
            self._container.close()


def half_frame(container: av.container.InputContainer, fps: float) -> float:
    """Half the video's frame period (half of ``1 / fps`` when the stream has no rate)."""
    rate = container.streams.video[0].average_rate
    return 0.5 / float(rate) if rate else 0.5 / fps


def convert(frame: av.VideoFrame, size: tuple[int, int], rotation: int = 0) -> np.ndarray:
    """``frame`` as RGB uint8 ``(h, w, 3)`` at ``size`` = (w, h) before rotation, then rotated."""
    # the longer side is the same before and after rotating, so scale first
    rgb = frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="AREA").to_ndarray()
    if rotation:
        rgb = np.ascontiguousarray(np.rot90(rgb, k=rotation // 90))
    return rgb


class InstantSampler:
    """For each sampling instant ``k / fps`` in ``[start, end]``, the decoded frame nearest it.

    :meth:`feed` takes decoded frames in order (time ``t`` or None, any payload) and returns
    ``(k, time, payload)`` for every instant now bracketed by the previous frame and this one;
    :meth:`tail` returns the instants after the last frame within ``half`` a frame period.
    """

    def __init__(self, fps: float, start: float = 0.0, end: float | None = None) -> None:
        self.period = 1.0 / fps
        self.start = start
        self.end = math.inf if end is None else float(end)
        self.k = math.ceil(start * fps - 1e-9)
        self.prev: tuple[float, object] | None = None

    @property
    def finished(self) -> bool:
        return self.k * self.period > self.end + 1e-9

    def feed(self, t: float | None, payload: object) -> list[tuple[int, float, object]]:
        period, prev = self.period, self.prev
        if t is None:
            t = prev[0] + period if prev else 0.0
        out = []
        while self.k * period <= t and not self.finished:
            target = self.k * period
            pt, pf = prev if prev is not None and target - prev[0] <= t - target else (t, payload)
            if pt >= self.start - period / 2 or prev is None:
                out.append((self.k, pt, pf))
            self.k += 1
        if not self.finished:
            self.prev = (t, payload)
        return out

    def tail(self, half: float) -> list[tuple[int, float, object]]:
        out = []
        if self.prev is not None:
            while self.k * self.period <= min(self.prev[0] + half, self.end + 1e-9):
                out.append((self.k, self.prev[0], self.prev[1]))
                self.k += 1
        return out


def sample_frames(path: str | os.PathLike[str], fps: float, *, max_side: int | None = 640,
                  start: float = 0.0, end: float | None = None) -> FrameStream:
    """Stream frames of ``path`` sampled at ``fps`` per second; see the module docstring."""
    return FrameStream(path, fps, max_side=max_side, start=start, end=end)
