"""Consecutive-clip sequences: N neighbouring (features, AD) pairs of one film.

A :class:`Clip` is one AD interval of a film with its visual input: frame features ``(T, D)``
(T may differ between clips) and optional scene features ``(S, Ds)``.  The clips of each film,
in time order, are cut into :class:`ClipSequence` windows of ``n`` consecutive clips (DistinctAD
§3.2 trains on N consecutive clips of one film); every sequence also keeps the ADs that came
before its first clip in the film, so each clip's prompt can show its previous ADs.

:class:`ClipSequenceDataset` is a map-style torch dataset over those windows; batching into
padded tensors is :mod:`.collate`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from torch.utils.data import Dataset

from ..errors import InputError


@dataclass(frozen=True)
class Clip:
    """One AD interval: ``frames`` (T, D) float32, ``scene`` (S, Ds) float32 or None."""

    film: str
    start: float
    end: float
    text: str
    frames: np.ndarray
    scene: np.ndarray | None = None
    cast: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.frames.ndim != 2 or self.frames.shape[0] == 0:
            raise InputError(f"film {self.film} at {self.start:g} s: a clip needs a non-empty (frames, dim) "
                             f"feature array, got shape {self.frames.shape}")
        if self.scene is not None and (self.scene.ndim != 2 or self.scene.shape[0] == 0):
            raise InputError(f"film {self.film} at {self.start:g} s: scene features must be a non-empty "
                             f"(frames, dim) array, got shape {self.scene.shape}")

    @property
    def duration(self) -> float:
        return self.end - self.start


def films_in_order(ads: Sequence) -> dict[str, list[int]]:
    """Film -> the indices of its ADs in ``ads`` (objects with ``film``, ``start``, ``end``), in time order."""
    films: dict[str, list[int]] = {}
    for i, ad in enumerate(ads):
        films.setdefault(ad.film, []).append(i)
    for rows in films.values():
        rows.sort(key=lambda i: (ads[i].start, ads[i].end))
    return films


def neighbour_scene(vectors: np.ndarray, pos: int, count: int) -> np.ndarray:
    """Scene features of row ``pos`` of a film's ``vectors`` (n, D): the rows of the ``count``
    neighbours on each side, itself excluded -> (S, D); one zero row when it has none."""
    around = [p for p in range(pos - count, pos + count + 1) if 0 <= p < len(vectors) and p != pos]
    return vectors[around] if around else np.zeros((1, vectors.shape[1]), np.float32)


@dataclass(frozen=True)
class ClipSequence:
    """``clips``: up to N consecutive clips of ``film``; ``history``: the texts of the ADs of
    the same film before ``clips[0]`` (oldest first)."""

    film: str
    clips: tuple[Clip, ...]
    history: tuple[str, ...] = ()

    def previous_ads(self, j: int, count: int) -> list[str]:
        """The ``count`` ADs before clip ``j`` (from the history, then earlier clips of the sequence)."""
        if count <= 0:
            return []
        before = list(self.history) + [c.text for c in self.clips[:j]]
        return before[-count:]


def make_sequences(films: Mapping[str, Sequence[Clip]], n: int, stride: int | None = None,
                   history: int = 8) -> list[ClipSequence]:
    """Windows of ``n`` consecutive clips of each film, every ``stride`` clips (default ``n``).

    A film's last window is shifted back so that it ends on the film's last clip (no clip is
    left out); a film with fewer than ``n`` clips gives one shorter sequence (padded in the
    batch).  ``history`` previous ADs are kept per sequence.  Films in sorted order.
    """
    if n < 1:
        raise InputError(f"a sequence needs at least 1 clip (got n={n})")
    stride = n if stride is None else stride
    if stride < 1:
        raise InputError(f"the sequence stride must be at least 1 (got {stride})")
    out: list[ClipSequence] = []
    for film in sorted(films):
        clips = sorted(films[film], key=lambda c: (c.start, c.end))
        if not clips:
            continue
        starts = list(range(0, max(len(clips) - n, 0) + 1, stride))
        if starts[-1] + n < len(clips):
            starts.append(len(clips) - n)
        for s in starts:
            past = tuple(c.text for c in clips[max(0, s - history):s]) if history > 0 else ()
            out.append(ClipSequence(film, tuple(clips[s:s + n]), past))
    return out


class ClipSequenceDataset(Dataset):
    """Map-style dataset of :class:`ClipSequence` (see :func:`make_sequences`)."""

    def __init__(self, films: Mapping[str, Sequence[Clip]], n: int, stride: int | None = None, history: int = 8):
        self.sequences = make_sequences(films, n, stride, history)
        if not self.sequences:
            raise InputError("no clips to train or evaluate on: every film is empty")
        dims = {c.frames.shape[1] for s in self.sequences for c in s.clips}
        if len(dims) != 1:
            raise InputError(f"clips have frame features of different sizes {sorted(dims)}; use one encoder")
        self.dim = dims.pop()
        self.n = n

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> ClipSequence:
        return self.sequences[index]

    def clips(self) -> list[Clip]:
        """Every clip once, in film and time order (sequences may overlap when stride < n)."""
        seen: dict[tuple[str, float, float], Clip] = {}
        for s in self.sequences:
            for c in s.clips:
                seen.setdefault((c.film, c.start, c.end), c)
        return list(seen.values())
