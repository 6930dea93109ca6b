"""Speech activity detection: where in the audio someone is speaking.

Input: mono float32 samples and their rate (from :func:`.audio.extract_audio`).
Output: sorted, non-overlapping :class:`~cinescribe.timeline.Interval` list in seconds.

Backends are registered by name (:data:`BACKENDS`, :func:`register_backend`):

* ``silero`` (default): Silero VAD v6 from the ``silero-vad`` wheel (model file ships
  inside the wheel; nothing is downloaded).  The ONNX model is run with onnxruntime:
  on the espeak-ng demo it gives exactly the same intervals as the TorchScript model
  and is ~2.7x faster than it on one thread (49 s of audio: 0.25 s vs 0.67 s; 1.8x vs
  two torch threads).  ``threshold`` is Silero's speech probability threshold.
  Audio not at 8 or 16 kHz is resampled to 16 kHz first (:func:`.audio.resample`).
* ``energy``: frame RMS (30 ms window, 10 ms hop) against an adaptive level:
  ``floor + threshold * (peak - floor)`` in dB, where floor/peak are the 10th/99th
  percentile frame levels.  A dependency-free fallback for clean audio; music and
  loud effects count as speech.

Both apply the same rules: speech runs shorter than ``min_speech`` seconds are dropped
and silences shorter than ``min_silence`` seconds inside speech are joined.
"""

from __future__ import annotations

import threading
import warnings
from typing import Callable, Protocol

import numpy as np

from ..errors import InputError, MissingDependencyError
from .audio import resample
from ..timeline import Interval, merge


class VadBackend(Protocol):
    """A speech detector: samples -> speech intervals in seconds."""

    def __call__(self, audio: np.ndarray, rate: int, *, threshold: float,
                 min_speech: float, min_silence: float) -> list[Interval]: ...


BACKENDS: dict[str, Callable[[], VadBackend]] = {}


def register_backend(name: str) -> Callable[[Callable[[], VadBackend]], Callable[[], VadBackend]]:
    """Decorator: register a factory returning a backend under ``name``."""

    def deco(factory: Callable[[], VadBackend]) -> Callable[[], VadBackend]:
        BACKENDS[name] = factory
        return factory

    return deco


def detect_speech(audio: np.ndarray, rate: int, backend: str = "silero", threshold: float = 0.5,
                  min_speech: float = 0.25, min_silence: float = 0.3) -> list[Interval]:
    """Speech intervals (seconds) in ``audio``; empty audio gives ``[]``."""
    if backend not in BACKENDS:
        raise InputError(f"unknown VAD backend {backend!r}; choose one of: {', '.join(sorted(BACKENDS))}")
    if not 0.0 < threshold < 1.0:
        raise InputError(f"VAD threshold must be between 0 and 1 (got {threshold})")
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if audio.size == 0:
        return []
    return BACKENDS[backend]()(audio, rate, threshold=threshold, min_speech=min_speech,
                                min_silence=min_silence)


def clean_runs(runs: list[Interval], min_speech: float, min_silence: float) -> list[Interval]:
    """Join silences shorter than ``min_silence``, then drop runs shorter than ``min_speech``."""
    return [iv for iv in merge(runs, join_gap=min_silence) if iv.duration >= min_speech]


# -- silero -------------------------------------------------------------------------

class SileroVad:
    """Silero VAD (ONNX via onnxruntime); loaded once per process."""

    _lock = threading.Lock()
    _model = None

    @classmethod
    def model(cls):
        with cls._lock:
            if cls._model is None:
                try:
                    import torch

                    threads = torch.get_num_threads()
                    from silero_vad import load_silero_vad

                    torch.set_num_threads(threads)  # importing silero_vad sets it to 1
                    with warnings.catch_warnings():  # its resource lookup is deprecated API
                        warnings.simplefilter("ignore", DeprecationWarning)
                        cls._model = load_silero_vad(onnx=True)
                except ImportError as exc:
                    raise MissingDependencyError(
                        "silero-vad is not installed; pip install silero-vad onnxruntime") from exc
            return cls._model

    def __call__(self, audio: np.ndarray, rate: int, *, threshold: float, min_speech: float,
                 min_silence: float) -> list[Interval]:
        import torch
        from silero_vad import get_speech_timestamps

        if rate not in (8000, 16000):
            audio = resample(audio, rate, 16000)
            rate = 16000
        model = self.model()
        with self._lock:  # the ONNX wrapper keeps recurrent state
            model.reset_states()
            stamps = get_speech_timestamps(
                torch.from_numpy(np.ascontiguousarray(audio)), model, threshold=threshold,
                sampling_rate=rate, min_speech_duration_ms=int(min_speech * 1000),
                min_silence_duration_ms=int(min_silence * 1000), return_seconds=False)
        runs = [Interval(s["start"] / rate, s["end"] / rate) for s in stamps]
        return clean_runs(runs, min_speech, min_silence)


@register_backend("silero")
def _silero() -> VadBackend:
    return SileroVad()


# -- energy -------------------------------------------------------------------------

def energy_vad(audio: np.ndarray, rate: int, *, threshold: float, min_speech: float,
               min_silence: float) -> list[Interval]:
    """RMS-threshold VAD; see the module docstring."""
    win, hop = max(1, int(0.03 * rate)), max(1, int(0.01 * rate))
    if len(audio) < win:
        return []
    n = 1 + (len(audio) - win) // hop
    # windowed mean square via cumulative sums: O(len) and no Python loop
    c = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    ms = (c[np.arange(n) * hop + win] - c[np.arange(n) * hop]) / win
    db = 10 * np.log10(ms + 1e-10)
    floor, peak = np.percentile(db, 10), np.percentile(db, 99)
    if peak - floor < 6.0:  # no level contrast: all silence or all constant sound
        return []
    active = db > floor + threshold * (peak - floor)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(np.int8), [0]])))
    runs = [Interval(float(s * hop / rate), float(((e - 1) * hop + win) / rate))
            for s, e in zip(edges[::2], edges[1::2])]
    return clean_runs(runs, min_speech, min_silence)


@register_backend("energy")
def _energy() -> VadBackend:
    return energy_vad
