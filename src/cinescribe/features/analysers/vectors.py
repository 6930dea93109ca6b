"""Identity vectors kept small: a unit vector stored as base64 of little-endian float16.

A faceres descriptor is ``(1024,)`` float32 (4 KiB); packed it is 2,732 characters of JSON,
and the cosine similarity of two packed vectors differs from the float32 one by under 1e-3.
"""

from __future__ import annotations

import base64

import numpy as np


def unit(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to length 1 (float32); a zero vector stays zero."""
    v = np.asarray(vector, dtype=np.float32).ravel()
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def pack(vector: np.ndarray) -> str:
    """The unit-length ``vector`` ``(D,)`` as base64 of float16."""
    return base64.b64encode(unit(vector).astype("<f2").tobytes()).decode("ascii")


def unpack(text: str) -> np.ndarray:
    """The ``(D,)`` float32 vector that :func:`pack` stored."""
    return np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32)


def from_worker(text: str) -> np.ndarray:
    """The ``(D,)`` float32 vector the perception worker sends (base64 of little-endian float32)."""
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float32)
