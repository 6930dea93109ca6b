"""One decode pass feeding several consumers, and a disk spool for the frames kept for later.

:class:`FramePass` decodes a video once and hands each :class:`Tap` its own view of the
stream: every decoded frame (``fps=None``; a shot detector at the video's own rate) or the
frame nearest each instant ``k / fps`` (as :class:`~.frames.FrameStream` samples), at the
tap's size, only at times the tap's ``keep`` accepts.  A decoded picture is converted once
per tap size.  Iterating yields ``(tap index, Frame)`` in time order.

:class:`FrameSpool` keeps frames for later without holding them in memory: each is stored
as a JPEG (quality 95: on film frames the mean pixel error is about one level in 255) in one
temporary file with an in-memory index of ``(sample number, time, offset, length)``, about
40 bytes per frame; :meth:`FrameSpool.frames` reads back those between two times.  The file
is deleted by :meth:`FrameSpool.close` (or leaving its ``with`` block).
"""

from __future__ import annotations

import logging
import os
import tempfile
import weakref
from dataclasses import dataclass
from typing import Callable, Iterator

import cv2
import numpy as np

from ..errors import InputError
from .frames import Frame, FrameStream, InstantSampler, convert, half_frame, output_size
from .probe import stream_rotation

log = logging.getLogger("cinescribe.media")


@dataclass(frozen=True)
class Tap:
    """A consumer's view: ``fps`` (None = every ``every``-th decoded frame), size, and which times it wants.

    ``size`` = exact ``(width, height)`` of the picture before rotation (the detector's 48x27),
    else the longer side is at most ``max_side``.  ``keep(t)`` false: the frame is skipped.
    """

    fps: float | None = None
    max_side: int | None = 640
    size: tuple[int, int] | None = None
    keep: Callable[[float], bool] | None = None
    every: int = 1


class FramePass(FrameStream):
    """Decodes ``path`` once for all ``taps``; iterate for ``(tap index, Frame)`` (module docstring)."""

    def __init__(self, path: str | os.PathLike[str], taps: list[Tap]) -> None:
        for tap in taps:
            if tap.fps is not None and not tap.fps > 0:
                raise InputError(f"frame sampling rate must be a positive number (got {tap.fps})")
            if tap.every < 1:
                raise InputError(f"a frame tap takes every n-th frame with n >= 1 (got {tap.every})")
        self.taps = list(taps)
        self.decoded = 0
        super().__init__(path, fps=max([t.fps for t in taps if t.fps] or [1.0]), max_side=None)

    def _size(self, tap: Tap, frame) -> tuple[int, int]:
        return tap.size or output_size(frame.width, frame.height, tap.max_side)

    def _generate(self) -> Iterator[tuple[int, Frame]]:  # type: ignore[override]
        samplers = [InstantSampler(t.fps) if t.fps else None for t in self.taps]
        cache: dict[tuple[int, int], tuple[float, np.ndarray]] = {}  # per size: the last converted picture
        first = True

        def picture(tap: Tap, t: float, frame) -> np.ndarray:
            size = self._size(tap, frame)
            if size not in cache or cache[size][0] != t:
                cache[size] = (t, convert(frame, size, self.rotation))
            return cache[size][1]

        try:
            n, t = 0, -half_frame(self._container, self.fps) * 2
            for frame in self._decoded():
                if first:
                    self.rotation = stream_rotation(self._container.streams.video[0], frame)
                    first = False
                t = frame.time if frame.time is not None else t + 2 * half_frame(self._container, self.fps)
                self.decoded += 1
                for i, (tap, sampler) in enumerate(zip(self.taps, samplers)):
                    if sampler is None:
                        picks = [(n, t, frame)] if n % tap.every == 0 else []
                    else:
                        picks = sampler.feed(t, frame)
                    for k, pt, pf in picks:
                        if tap.keep is None or tap.keep(pt):
                            yield i, Frame(k, pt, picture(tap, pt, pf))
                n += 1
            half = half_frame(self._container, self.fps)
            for i, (tap, sampler) in enumerate(zip(self.taps, samplers)):
                for k, pt, pf in sampler.tail(half) if sampler is not None else ():
                    if tap.keep is None or tap.keep(pt):
                        yield i, Frame(k, pt, picture(tap, pt, pf))
        finally:
            if self.corrupt_packets:
                log.warning("%s: skipped %d corrupt video packet(s)", os.fspath(self.path), self.corrupt_packets)
            self._container.close()


def _remove(file, path: str) -> None:
    file.close()
    if os.path.exists(path):
        os.unlink(path)


class FrameSpool:
    """Frames kept on disk as JPEG with an in-memory index; see the module docstring."""

    def __init__(self, folder: str | os.PathLike[str] | None = None, quality: int = 95) -> None:
        fd, name = tempfile.mkstemp(prefix="cinescribe-frames-", suffix=".spool", dir=folder)
        self.path = name
        self._file = os.fdopen(fd, "w+b")
        self._remove = weakref.finalize(self, _remove, self._file, name)  # also if never closed
        self.quality = quality
        self.index: list[tuple[int, float, int, int]] = []  # (sample number, time, offset, length)

    def add(self, frame: Frame) -> None:
        ok, data = cv2.imencode(".jpg", frame.image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise InputError(f"could not encode frame {frame.index} at {frame.t:.3f} s for the frame spool")
        self._file.seek(0, os.SEEK_END)
        offset = self._file.tell()
        self._file.write(data.tobytes())
        self.index.append((frame.index, frame.t, offset, len(data)))

    def frames(self, start: float, end: float) -> list[Frame]:
        """The kept frames with ``start <= t <= end``, in time order."""
        out = []
        for k, t, offset, length in self.index:
            if start <= t <= end:
                self._file.seek(offset)
                data = np.frombuffer(self._file.read(length), np.uint8)
                out.append(Frame(k, t, np.ascontiguousarray(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])))
        return out

    def close(self) -> None:
        self._remove()

    def __len__(self) -> int:
        return len(self.index)

    def __enter__(self) -> "FrameSpool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
