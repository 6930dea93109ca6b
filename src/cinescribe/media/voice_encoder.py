"""A speaker embedding of a stretch of speech: the GE2E voice encoder packaged by ``resemblyzer``.

Wan, Wang, Papir & Lopez Moreno, "Generalized End-to-End Loss for Speaker Verification" (ICASSP
2018).  The network reads 40-channel mel filterbank energies (25 ms windows every 10 ms) of a
1.6 s partial utterance through a 3-layer LSTM (256 units); the last layer's final hidden state
``h`` goes through a linear layer and a ReLU and is L2-normalised: ``e = f(W h + b) / ||f(W h + b)||``
(section 2.1: the embedding vector is the L2 normalisation of the network output).  An utterance's
embedding is the normalised mean of its partials' embeddings (section 3.1, d-vector averaging over
sliding windows), taken every ``1 / PARTIAL_RATE`` s.  Speakers are then compared by cosine
similarity (eq. 5 without its learned scale and bias, which only serve the loss).

Boundary shapes: :func:`mel_frames` maps ``(samples,)`` float32 at 16 kHz to ``(frames, 40)``;
:class:`VoiceEncoder` maps ``(batch, 160, 40)`` to ``(batch, 256)`` unit vectors;
:meth:`VoiceEncoder.embed` maps ``(samples,)`` to ``(256,)``.

The weights come from the ``resemblyzer`` wheel (Apache-2.0), installed without its dependencies
(librosa, webrtcvad: this module computes the same filterbank itself); :func:`weights_path` finds
``pretrained.pt`` through the installed distribution and checks its sha256.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..packaged import distribution_file, verified_file

PACKAGE = "resemblyzer"
PACKAGE_VERSION = "0.1.4"
WEIGHTS_FILE = "pretrained.pt"
WEIGHTS_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
REINSTALL = f"pip install --no-deps --force-reinstall {PACKAGE}=={PACKAGE_VERSION}"
RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s
PARTIAL_RATE = 1.3  # partials a second
MIN_COVERAGE = 0.75  # the last partial is kept when this much of it is real audio
TARGET_DBFS = -30.0


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear (200/3 Hz a mel) below 1 kHz, logarithmic (27 mels an octave x log2 6.4) above."""
    f = np.asarray(f, dtype=np.float64)
    linear = f / (200.0 / 3)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27.0), linear)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), (200.0 / 3) * m)


@lru_cache(maxsize=1)
def mel_filterbank(rate: int = RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """``(n_mels, n_fft // 2 + 1)`` triangular filters spaced on Slaney's mel scale from 0 Hz to
    ``rate / 2``, each scaled to unit area (``2 / (upper - lower)``)."""
    freqs = np.linspace(0.0, rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(rate / 2), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return (weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]).astype(np.float32)


def mel_frames(wav: np.ndarray) -> np.ndarray:
    """Mel filterbank power ``(frames, 40)`` of ``(samples,)`` float32 at 16 kHz (not logarithmic):
    Hann windows of ``N_FFT`` samples every ``HOP``, centred (the signal zero-padded by half a
    window at both ends), ``|STFT|^2`` through :func:`mel_filterbank`."""
    x = np.pad(np.asarray(wav, dtype=np.float32).reshape(-1), N_FFT // 2)
    n = 1 + (len(x) - N_FFT) // HOP
    if n < 1:
        return np.zeros((0, N_MELS), dtype=np.float32)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann
    frames = np.lib.stride_tricks.as_strided(x, (n, N_FFT), (x.strides[0] * HOP, x.strides[0]))
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return (power @ mel_filterbank().T).astype(np.float32)


def normalise_volume(wav: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """``wav`` raised (never lowered) to an RMS level of ``target_dbfs``, as the encoder was trained."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if len(wav) else 0.0
    if rms <= 0.0:
        return wav
    gain_db = target_dbfs - 20.0 * np.log10(rms)
    return wav * np.float32(10 ** (gain_db / 20)) if gain_db > 0 else wav


def partial_starts(samples: int) -> list[int]:
    """The first mel frame of each 1.6 s partial of an utterance of ``samples``: one every
    ``1 / PARTIAL_RATE`` s, the last dropped when less than ``MIN_COVERAGE`` of it is audio (unless
    it is the only one)."""
    frames = int(np.ceil((samples + 1) / HOP))
    step = int(round(RATE / PARTIAL_RATE / HOP))
    starts = list(range(0, max(1, frames - PARTIAL_FRAMES + step + 1), step))
    coverage = (samples - starts[-1] * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


class VoiceEncoder(nn.Module):
    """GE2E's LSTM speaker encoder: ``(batch, frames, n_mels)`` -> ``(batch, embedding)`` unit vectors
    (non-negative, after the ReLU)."""

    def __init__(self, n_mels: int = N_MELS, hidden: int = 256, layers: int = 3, embedding: int = 256) -> None:
        super().__init__()
        self.lstm = nn.LSTM(n_mels, hidden, layers, batch_first=True)
        self.linear = nn.Linear(hidden, embedding)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)  # hidden: (layers, batch, hidden)
        e = torch.relu(self.linear(hidden[-1]))  # (batch, embedding)
        return e / e.norm(dim=1, keepdim=True).clamp_min(1e-12)

    @torch.no_grad()
    def embed(self, wav: np.ndarray) -> np.ndarray:
        """The utterance embedding ``(embedding,)`` of ``(samples,)`` float32 speech at 16 kHz."""
        wav = normalise_volume(np.asarray(wav, dtype=np.float32).reshape(-1))
        starts = partial_starts(len(wav))
        needed = (starts[-1] + PARTIAL_FRAMES) * HOP
        if needed > len(wav):
            wav = np.pad(wav, (0, needed - len(wav)))
        mel = mel_frames(wav)
        batch = torch.from_numpy(np.stack([mel[s:s + PARTIAL_FRAMES] for s in starts]))
        mean = self(batch).mean(dim=0)
        return (mean / mean.norm().clamp_min(1e-12)).numpy()


@contextmanager
def single_thread():
    """Torch on one thread meanwhile: the encoder's small LSTM steps gain nothing from more, and on
    busy cores extra threads only wait for each other (about ten times slower on 2 shared cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def weights_path() -> Path:
    """The installed ``pretrained.pt``; MissingDependencyError naming the package if absent."""
    return distribution_file(PACKAGE, WEIGHTS_FILE, "speaker turns need the voice encoder of", REINSTALL)


def load_voice_encoder(path: Path | None = None) -> VoiceEncoder:
    """The voice encoder with the packaged weights (checked by sha256), in eval mode."""
    path = verified_file(weights_path() if path is None else Path(path), WEIGHTS_SHA256, PACKAGE, REINSTALL)
    state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
    model = VoiceEncoder()
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("similarity_")}, strict=True)
    return model.eval()
