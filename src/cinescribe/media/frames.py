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
        # the longer side is the same before and after rotating, so scale first
        tw, th = output_size(frame.width, frame.height, self.max_side)
        rgb = frame.reformat(width=tw, height=th, format="rgb24", interpolation="AREA").to_ndarray()
        if self.rotation:
            rgb = np.ascontiguousarray(np.rot90(rgb, k=self.rotation // 90))
        return rgb

    def _generate(self) -> Iterator[Frame]:
        period = 1.0 / self.fps
        k = math.ceil(self.start * self.fps - 1e-9)
        end = math.inf if self.end is None else float(self.end)
        prev: tuple[float, av.VideoFrame] | None = None
        cache: tuple[float, np.ndarray] | None = None  # converted picture of the last emitted frame
        first = True
        try:
            for frame in self._decoded():
                if first:
                    self.rotation = stream_rotation(self._container.streams.video[0], frame)
                    first = False
                t = frame.time
                if t is None:
                    t = prev[0] + period if prev else 0.0
                # emit every instant that is now bracketed by prev and this frame
                while k * period <= t and k * period <= end + 1e-9:
                    target = k * period
                    if prev is not None and target - prev[0] <= t - target:
                        pt, pf = prev
                    else:
                        pt, pf = t, frame
                    if pt >= self.start - period / 2 or prev is None:
                        if cache is None or cache[0] != pt:
                            cache = (pt, self._convert(pf))
                        yield Frame(k, pt, cache[1])
                    k += 1
                if k * period > end + 1e-9:
                    break
                prev = (t, frame)
            # instants after the last frame: use it while within half a frame period
            if prev is not None:
                rate = self._container.streams.video[0].average_rate
                half = 0.5 / float(rate) if rate else period / 2
                while k * period <= min(prev[0] + half, end + 1e-9):
                    if cache is None or cache[0] != prev[0]:
                        cache = (prev[0], self._convert(prev[1]))
                    yield Frame(k, prev[0], cache[1])
                    k += 1
        finally:
            if self.corrupt_packets:
                log.warning("%s: skipped %d corrupt video packet(s)", os.fspath(self.path), self.corrupt_packets)
            self._container.close()


def sample_frames(path: str | os.PathLike[str], fps: float, *, max_side: int | None = 640,
                  start: float = 0.0, end: float | None = None) -> FrameStream:
    """Stream frames of ``path`` sampled at ``fps`` per second; see the module docstring."""
    return FrameStream(path, fps, max_side=max_side, start=start, end=end)
