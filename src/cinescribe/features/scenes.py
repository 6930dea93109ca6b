"""Scene-level context features (DANTE-AD's second stream): one pooled embedding per scene.

DANTE-AD fuses frame-level features of the clip with scene-level features pooled over
the whole scene the clip belongs to (global average pooling).  Here, for each scene
``[start, end)``, the frames of a :class:`~.store.FeatureSource` in it ``(n, dim)`` are
pooled two ways, without learned weights:

* ``mean``: ``normalise(mean_i f_i)`` -- DANTE-AD's global average pool;
* ``attention``: a temporal attention pool with the mean as the query,
  ``w = softmax(cos(f_i, mean) / temperature)``, ``normalise(sum_i w_i f_i)`` -- frames
  typical of the scene weigh more, brief outliers (a flash, a cutaway) less.

:meth:`SceneContext.for_slot` returns the pooled embedding of the scene that overlaps a
slot most, so any slot can be given its scene context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError
from .encoders.base import l2_normalise
from .store import FeatureSource

POOLS = ("mean", "attention")


def mean_pool(x: np.ndarray) -> np.ndarray:
    """``(n, dim) -> (dim,)``: the normalised mean."""
    return l2_normalise(np.asarray(x, np.float32).mean(axis=0, keepdims=True))[0]


def attention_pool(x: np.ndarray, temperature: float = 0.05) -> np.ndarray:
    """``(n, dim) -> (dim,)``: softmax(cos(x_i, mean) / temperature)-weighted sum, normalised."""
    x = l2_normalise(np.asarray(x, np.float32))
    logits = (x @ mean_pool(x)) / temperature
    w = np.exp(logits - logits.max())
    return l2_normalise(((w / w.sum()) @ x)[None])[0]


@dataclass
class SceneContext:
    """Per-scene pooled embeddings: ``spans (s, 2)`` seconds, ``mean``/``attention`` ``(s, dim)``."""

    spans: np.ndarray
    mean: np.ndarray
    attention: np.ndarray

    def scene_of(self, start: float, end: float) -> int:
        """Index of the scene that overlaps ``[start, end)`` most (the nearest if none does)."""
        if end < start:
            raise InputError(f"bad slot: end {end} is before start {start}")
        overlap = np.minimum(self.spans[:, 1], end) - np.maximum(self.spans[:, 0], start)
        if overlap.max() > 0:
            return int(np.argmax(overlap))
        centre = (start + end) / 2
        return int(np.argmin(np.abs(self.spans.mean(axis=1) - centre)))

    def for_slot(self, start: float, end: float, pool: str = "mean") -> np.ndarray:
        """The ``(dim,)`` context embedding of the slot's scene, pooled by ``pool``."""
        if pool not in POOLS:
            raise InputError(f"unknown scene pool {pool!r}; choose one of: {', '.join(POOLS)}")
        return getattr(self, pool)[self.scene_of(start, end)]


def scene_context(source: FeatureSource, scenes: Sequence, *, temperature: float = 0.05) -> SceneContext:
    """Pool ``source``'s frames over each scene (objects with ``start``/``end`` seconds)."""
    if not scenes:
        raise InputError("no scenes given to pool features over")
    times, feats = source.times, source.features()
    spans, means, attns = [], [], []
    for scene in scenes:
        inside = (times >= scene.start) & (times < scene.end)
        if not inside.any():  # a scene shorter than a sample period: its nearest frame
            inside = np.zeros(len(times), bool)
            inside[int(np.argmin(np.abs(times - (scene.start + scene.end) / 2)))] = True
        spans.append((scene.start, scene.end))
        means.append(mean_pool(feats[inside]))
        attns.append(attention_pool(feats[inside], temperature))
    return SceneContext(np.asarray(spans, np.float64), np.stack(means), np.stack(attns))
