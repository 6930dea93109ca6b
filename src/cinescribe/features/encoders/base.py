"""The interface every frame encoder implements, and what they share.

An encoder turns RGB frames -- each ``(H, W, 3) uint8``, any size, or a
:class:`~cinescribe.media.frames.Frame` holding one -- into one L2-normalised
``float32`` embedding per frame: ``encode_images(frames) -> (n, dim)``.
Image-text (CLIP-like) encoders also map texts into the same space:
``encode_texts(texts) -> (m, dim)``, so that cosine similarity compares a frame with
a sentence.  ``id`` names the backend and its checkpoint (``"pixels"``,
``"hf_clip:/models/clip-b32"``); ``weights_hash`` changes whenever the weights or the
preprocessing change, so that cached features are invalidated with them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable, Iterator, Protocol, Sequence, runtime_checkable

import numpy as np

from ...errors import InputError


@runtime_checkable
class FrameEncoder(Protocol):
    """Frames ``(H, W, 3) uint8`` -> embeddings ``(n, dim)`` float32, rows of unit length."""

    id: str
    weights_hash: str
    dim: int
    batch_size: int

    def encode_images(self, frames: Sequence[np.ndarray]) -> np.ndarray: ...


@runtime_checkable
class TextImageEncoder(FrameEncoder, Protocol):
    """A frame encoder that also embeds texts into the same space: ``(m, dim)``."""

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...


def check_frames(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The frames as a list of ``(H, W, 3) uint8`` arrays (``Frame`` objects give their image)."""
    out = []
    for f in frames:
        image = np.asarray(getattr(f, "image", f))
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or 0 in image.shape:
            raise InputError(f"a frame must be a non-empty (H, W, 3) uint8 RGB array, not {image.shape} {image.dtype}")
        out.append(image)
    return out


def l2_normalise(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows of ``x`` ``(n, dim)`` scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), eps)


def batches(items: Sequence, size: int) -> Iterator[Sequence]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def machine_threads() -> int:
    """CPU cores this process may use (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def set_torch_threads() -> int:
    """Set torch's intra-op thread count to the machine's usable cores; return it."""
    import torch

    n = machine_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def hash_files(paths: Iterable[str | os.PathLike[str]], *extra: str) -> str:
    """``sha256:<hex>`` over the bytes of ``paths`` (in the given order) and ``extra`` strings."""
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).name.encode() + b"\0")
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    for e in extra:
        h.update(e.encode() + b"\0")
    return "sha256:" + h.hexdigest()
