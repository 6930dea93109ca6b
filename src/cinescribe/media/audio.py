"""The audio track as samples: :func:`extract_audio` -> float32 mono array.

Input: a media path (video or audio-only) and a sample rate.  Output: a 1-D float32
numpy array at ``rate`` Hz, mono, clipped to [-1, 1], starting at time 0 of the file
(sample ``i`` is at ``i / rate`` seconds; a track starting late is padded with
silence).

Decoding is streamed: packets are decoded and resampled one at a time with PyAV's
``AudioResampler`` into a buffer preallocated from the stated duration (grown if the
estimate is short).  Packets that fail to decode are skipped and counted (one warning
on the ``cinescribe`` logger); a read error ends the track early with a warning.  A decoded frame
whose format the resampler cannot take (a corrupt frame that claims another channel layout) counts
as corrupt too.  When more than half of the packets fail, the track cannot be decoded:
:class:`UndecodableAudio` (an :class:`InputError`; the describe pipeline reports it as a warning
and goes on as if the video had no audio).

:func:`resample` changes the rate of samples already in memory (a polyphase low-pass filter,
so nothing above the new Nyquist frequency folds back); every stage that resamples uses it.

No audio stream: an *empty* array (``size == 0``) is returned and nothing is logged --
the caller decides what to say (the describe pipeline warns "no audio: whole video is
available for AD").  Path problems raise :class:`InputError` as in :mod:`.probe`.
"""

from __future__ import annotations

import logging
import math
import os

import av
import numpy as np
from scipy.signal import resample_poly

from ..errors import InputError
from .probe import AV_ERRORS, open_container

log = logging.getLogger("cinescribe.media")


class UndecodableAudio(InputError):
    """Most of the audio track's packets do not decode."""


class _Buffer:
    """A growable float32 array written at sample offsets."""

    def __init__(self, size: int) -> None:
        self.data = np.zeros(max(size, 1), dtype=np.float32)
        self.length = 0

    def write(self, offset: int, chunk: np.ndarray) -> None:
        end = offset + len(chunk)
        if end > len(self.data):
            grown = np.zeros(max(end, int(len(self.data) * 1.5)), dtype=np.float32)
            grown[: self.length] = self.data[: self.length]
            self.data = grown
        self.data[offset:end] = chunk
        self.length = max(self.length, end)

    def result(self) -> np.ndarray:
        out = self.data[: self.length]
        return out.copy() if len(out) < len(self.data) * 0.9 else out


def extract_audio(path: str | os.PathLike[str], rate: int = 16000) -> np.ndarray:
    """Decode the first audio stream of ``path`` to mono float32 at ``rate`` Hz.

    Returns an empty array if the file has no audio stream.
    """
    if rate <= 0:
        raise InputError(f"audio sample rate must be positive (got {rate})")
    container = open_container(path)
    try:
        if not container.streams.audio:
            return np.zeros(0, dtype=np.float32)
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        duration = 0.0
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        buf = _Buffer(int(duration * rate) + rate)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        offset = None
        corrupt = packets = 0

        def put(frames: list[av.AudioFrame]) -> None:
            nonlocal offset
            for f in frames:
                if offset is None:  # place the first sample at its timestamp
                    start = f.time if f.time is not None and f.time > 0 else 0.0
                    offset = int(round(start * rate))
                chunk = f.to_ndarray().reshape(-1)
                buf.write(offset, chunk)
                offset += len(chunk)

        try:
            for packet in container.demux(stream):
                packets += packet.size > 0
                try:
                    decoded = packet.decode()
                    for frame in decoded:
                        put(resampler.resample(frame))
                except (*AV_ERRORS, ValueError):
                    corrupt += 1
        except AV_ERRORS as exc:
            log.warning("%s: audio reading stopped early (%s); using what was decoded", os.fspath(path), exc)
        put(resampler.resample(None))
        if corrupt and corrupt * 2 > packets:
            raise UndecodableAudio(f"{os.fspath(path)}: the audio track cannot be decoded ({corrupt} of {packets} "
                                   "packets failed)")
        if corrupt:
            log.warning("%s: skipped %d corrupt audio packet(s)", os.fspath(path), corrupt)
        return np.clip(buf.result(), -1.0, 1.0)
    finally:
        container.close()


def resample(audio: np.ndarray, src: int, dst: int) -> np.ndarray:
    """``(n,)`` samples at ``src`` Hz -> ``(ceil(n * dst / src),)`` float32 at ``dst`` Hz.

    Polyphase resampling (upsample by ``dst/g``, low-pass, downsample by ``src/g``, ``g`` their
    greatest common divisor) with scipy's Kaiser-windowed FIR, whose cut-off is the lower of the
    two Nyquist frequencies: a tone above ``dst / 2`` is removed instead of aliasing to a false
    low tone, and one well below it keeps its amplitude.
    """
    if src <= 0 or dst <= 0:
        raise ValueError(f"sample rates must be positive, got {src} -> {dst}")
    if src == dst or audio.size == 0:
        return audio.astype(np.float32)
    g = math.gcd(src, dst)
    return resample_poly(audio, dst // g, src // g).astype(np.float32)
