"""Key frames of a slot under a token budget: which of its frames carry its information.

Input: the slot's frame embeddings ``(n, dim)`` (rows of unit length, from any encoder
or the store) and a budget ``k``; output: a :class:`Selection` -- the indices of the
chosen frames (ascending, at most ``k``) and, for the frames not chosen, coarse tokens.
Three selectors, by name (:data:`SELECTORS`):

* ``uniform`` -- the frames nearest the centres of ``k`` equal parts of the slot.
* ``redundancy`` (KFFocus-style, temporal redundancy as in video coding): a frame's
  novelty is its cosine distance to the previous frame (the first frame's is maximal,
  like an I-frame); frames are taken in order of novelty, skipping any within
  ``duplicate`` cosine distance of one already taken (a near-duplicate).
* ``events`` (DynFocus-style dynamic event prototypes): the slot's frames, together
  with the neighbouring slots' frames, are clustered by seeded spherical k-means into
  the fewest events such that every slot frame lies within ``spread`` cosine distance of
  its event prototype (at most ``k + 8`` clusters).  Events holding slot frames get the
  budget in order: events with a *stable* frame (within ``spread / 2`` of a temporal
  neighbour -- not a step of a fade or dissolve) before purely transitional ones; among
  those the largest first, then always the one whose prototype is farthest from those
  already served (distinct content before more of the same).  Each served event keeps
  the frame maximising ``cos(frame, prototype) + distinct * (1 - max cos(frame,
  neighbour frames)) + stable`` -- most representative of its event, most distinct from
  the neighbouring slots.  Budget left over goes to the frames farthest from those
  kept.  Frames not kept are merged per event into one coarse token (their mean),
  DynFocus's coarse encoding of the rest.

Every selector is deterministic for a given ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..errors import InputError
from .encoders.base import l2_normalise

MAX_EXTRA_EVENTS = 8  # clusters allowed beyond the budget (events of neighbours, or to drop)


@dataclass
class Selection:
    """Chosen frames ``indices`` (ascending) and coarse tokens ``(c, dim)`` for the rest."""

    indices: list[int]
    coarse: np.ndarray
    merged: list[list[int]] = field(default_factory=list)  # frame indices averaged into each coarse token
    events: list[int] = field(default_factory=list)  # event label of each slot frame (``events`` only)


def _coarse(x: np.ndarray, groups: Sequence[Sequence[int]]) -> tuple[np.ndarray, list[list[int]]]:
    merged = [sorted(g) for g in groups if len(g)]
    if not merged:
        return np.zeros((0, x.shape[1]), np.float32), []
    return l2_normalise(np.stack([x[g].mean(axis=0) for g in merged])), merged


def _check(x: np.ndarray, k: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or len(x) == 0:
        raise InputError(f"key frames need a non-empty (frames, dim) array, got shape {x.shape}")
    if k < 1:
        raise InputError(f"the key-frame budget must be at least 1 (got {k})")
    return l2_normalise(x)


def uniform(x: np.ndarray, k: int, times: Sequence[float] | None = None, **_) -> Selection:
    """Frames nearest the centres of ``k`` equal parts of the slot (by ``times`` or by position)."""
    x = _check(x, k)
    n = len(x)
    t = np.asarray(times, dtype=np.float64) if times is not None else np.arange(n, dtype=np.float64)
    half = (t[-1] - t[0]) / (n - 1) / 2 if n > 1 else 0.5  # each frame stands for one sample period
    lo, hi = t[0] - half, t[-1] + half
    centres = lo + (np.arange(k) + 0.5) * (hi - lo) / k
    chosen = sorted({int(np.argmin(np.abs(t - c))) for c in centres})
    rest = [i for i in range(n) if i not in chosen]
    coarse, merged = _coarse(x, [rest])
    return Selection(chosen, coarse, merged)


def redundancy(x: np.ndarray, k: int, *, duplicate: float = 0.05, **_) -> Selection:
    """KFFocus-style: most novel frames first, near-duplicates (cosine distance < ``duplicate``) skipped."""
    x = _check(x, k)
    novelty = np.empty(len(x))
    novelty[0] = 2.0
    novelty[1:] = 1.0 - np.sum(x[1:] * x[:-1], axis=1)
    chosen: list[int] = []
    for i in np.argsort(-novelty, kind="stable"):
        if len(chosen) == k:
            break
        if all(1.0 - float(x[i] @ x[j]) >= duplicate for j in chosen):
            chosen.append(int(i))
    chosen.sort()
    groups: dict[int, list[int]] = {}
    for i in range(len(x)):  # each dropped frame merges into the nearest kept frame's group
        if i not in chosen:
            groups.setdefault(chosen[int(np.argmax(x[chosen] @ x[i]))], []).append(i)
    coarse, merged = _coarse(x, list(groups.values()))
    return Selection(chosen, coarse, merged)


def kmeans(x: np.ndarray, c: int, *, seed: int = 0, iters: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means with k-means++ seeding: ``(labels (n,), prototypes (c, dim))``, deterministic."""
    rng = np.random.default_rng(seed)
    n = len(x)
    centres = [int(rng.integers(n))]
    for _ in range(1, c):
        d = np.clip(1.0 - (x @ x[centres].T).max(axis=1), 0.0, None)
        if d.sum() <= 0:
            break
        centres.append(int(rng.choice(n, p=d / d.sum())))
    protos = x[centres].copy()
    labels = np.zeros(n, dtype=int)
    for it in range(iters):
        new = np.argmax(x @ protos.T, axis=1)
        for j in range(len(protos)):
            members = x[new == j]
            if len(members):
                protos[j] = members.mean(axis=0)
        protos = l2_normalise(protos)
        if it > 0 and np.array_equal(new, labels):
            break
        labels = new
    return labels, protos


def events(x: np.ndarray, k: int, *, neighbours: np.ndarray | None = None, spread: float = 0.12,
           distinct: float = 1.0, seed: int = 0, **_) -> Selection:
    """DynFocus-style event prototypes; see the module docstring.  ``neighbours``: ``(m, dim)``."""
    x = _check(x, k)
    n = len(x)
    nb = l2_normalise(np.asarray(neighbours, np.float32)) if neighbours is not None and len(neighbours) else None
    pool = np.concatenate([x, nb]) if nb is not None else x
    labels, protos = np.zeros(len(pool), int), pool[:1]
    for c in range(1, min(len(pool), k + MAX_EXTRA_EVENTS) + 1):
        labels, protos = kmeans(pool, c, seed=seed)
        fit = 1.0 - np.sum(x * protos[labels[:n]], axis=1)
        if fit.max() <= spread:
            break
    mine = labels[:n]
    stable = stable_frames(x, spread / 2)
    far = 1.0 - (x @ nb.T).max(axis=1) if nb is not None else np.zeros(n)
    score = np.sum(x * protos[mine], axis=1) + distinct * far + stable  # a stable frame beats a transitional one
    order = _event_order(mine, protos, stable)
    chosen: list[int] = []
    for e in order[:k]:
        members = np.flatnonzero(mine == e)
        chosen.append(int(members[np.argmax(score[members])]))
    while len(chosen) < min(k, n):  # spare budget: each time the frame farthest from those kept
        best, gain = None, -1.0
        for e in order:
            members = [int(i) for i in np.flatnonzero(mine == e) if i not in chosen]
            if not members:
                continue
            d = 1.0 - (x[members] @ x[chosen].T).max(axis=1)
            i = int(np.argmax(d))
            if d[i] > gain + 1e-9:
                best, gain = members[i], float(d[i])
        if best is None:
            break
        chosen.append(best)
    chosen.sort()
    groups = [[int(i) for i in np.flatnonzero(mine == e) if i not in chosen] for e in order]
    coarse, merged = _coarse(x, groups)
    return Selection(chosen, coarse, merged, mine.tolist())


def stable_frames(x: np.ndarray, tolerance: float) -> np.ndarray:
    """``(n,)`` bool: frames within ``tolerance`` cosine distance of the previous or next frame.

    Frames of a fade or a dissolve change at every step and are not stable; a held picture,
    even a two-frame insert, is.
    """
    if len(x) < 2:
        return np.ones(len(x), bool)
    step = 1.0 - np.sum(x[1:] * x[:-1], axis=1)  # (n - 1,)
    before = np.concatenate([[np.inf], step])
    after = np.concatenate([step, [np.inf]])
    return np.minimum(before, after) <= tolerance


def _event_order(labels: np.ndarray, protos: np.ndarray, stable: np.ndarray) -> list[int]:
    """Events in the order they get the budget: events with a stable frame before purely
    transitional ones; among each, the largest first, then each time the event whose
    prototype is farthest (cosine) from those already ordered -- distinct content (a short
    insert) before a second part of a shot already represented."""
    order: list[int] = []
    for steady in (True, False):
        pending = sorted({int(e) for e in labels if bool(stable[labels == e].any()) == steady},
                         key=lambda e: (-int(np.sum(labels == e)), e))
        while pending:
            if not order:
                order.append(pending.pop(0))
                continue
            gap = [float((1.0 - protos[order] @ protos[e]).min()) for e in pending]
            order.append(pending.pop(int(np.argmax(gap))))
    return order


SELECTORS: dict[str, Callable[..., Selection]] = {"uniform": uniform, "redundancy": redundancy, "events": events}


def select_keyframes(method: str, x: np.ndarray, k: int, **options) -> Selection:
    """Run the selector named ``method`` (see :data:`SELECTORS`) on embeddings ``x (n, dim)``."""
    if method not in SELECTORS:
        raise InputError(f"unknown key-frame selector {method!r}; choose one of: {', '.join(SELECTORS)}")
    return SELECTORS[method](x, k, **options)
