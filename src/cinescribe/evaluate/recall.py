"""Recall@k/N within neighbours (AutoAD-II, Han et al. 2023, §4; used by DistinctAD §4.1).

Per film, with its ADs in time order, ``S[i, j]`` is the BERTScore F1 between generated AD ``i`` and
ground-truth AD ``j``.  An N x N window slides along the diagonal, starting at 0, N//2, N, ... while
a full window fits (ADs after the last full window are not counted).  In a window, row ``i`` is a hit
when ``S[i, i]`` is among the k largest of the row's N entries.  Hits are averaged over the rows of a
window, then over the film's windows, then over films.  Windows never cross films.

Behaviour the reference code leaves undefined (documented and tested here):

- A film with fewer than N ADs has no full window: it is not counted for that N and is listed in
  ``films_skipped`` (the reference code crashes on it).  When no film has N ADs the score is None.
- Ties: ``S[i, i]`` is in the top k when fewer than k entries of its row are strictly larger (ties
  only happen between identical ground-truth texts inside one window).

Only the band ``|i - j| < N`` of ``S`` is ever looked at, so only those pairs are scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .bertscore import BertScorer, f1_pairs

DEFAULT_SPECS = ((1, 5), (5, 16))


def parse_specs(text: str) -> tuple[tuple[int, int], ...]:
    """``"1/5,5/16"`` -> ``((1, 5), (5, 16))``; InputError on a malformed or impossible spec."""
    specs = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            k, n = (int(x) for x in part.split("/"))
        except ValueError:
            raise InputError(f"bad recall spec {part!r}; write k/N, e.g. 1/5,5/16") from None
        if not 1 <= k <= n or n < 2:
            raise InputError(f"bad recall spec {part!r}: need 1 <= k <= N and N >= 2")
        specs.append((k, n))
    if not specs:
        raise InputError("no recall spec given; write k/N, e.g. 1/5,5/16")
    return tuple(specs)


def window_recall(scores: np.ndarray, k: int, n: int) -> float | None:
    """Recall@k/N of one film from its (ads, ads) similarity matrix; None when the film has < N ADs.

    Entries outside the band ``|i - j| < N`` are never read.
    """
    size = scores.shape[0]
    if size < n:
        return None
    per_window = []
    for start in range(0, size - n + 1, n // 2):
        block = scores[start:start + n, start:start + n]
        diag = np.diag(block)
        larger = (block > diag[:, None]).sum(axis=1)
        per_window.append(float(np.mean(larger < k)))
    return float(np.mean(per_window))


@dataclass
class RecallResult:
    """R@k/N per spec: overall (mean over counted films), per film, and the films not counted."""

    backbone: str
    overall: dict[str, float | None] = field(default_factory=dict)
    per_film: dict[str, dict[str, float | None]] = field(default_factory=dict)
    films_skipped: dict[str, list[str]] = field(default_factory=dict)


def band_scores(scorer: BertScorer, generated: list[str], ground_truth: list[str], width: int) -> np.ndarray:
    """(ads, ads) matrix with BERTScore F1 on the band ``|i - j| < width``; -inf elsewhere."""
    size = len(generated)
    out = np.full((size, size), -np.inf)
    if size == 0:
        return out
    gen, gt = scorer.embed(generated), scorer.embed(ground_truth)
    i, j = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    band = np.abs(i - j) < width
    out[band] = f1_pairs(gen, i[band], gt, j[band])
    return out


def recall_within_neighbours(films: dict[str, tuple[list[str], list[str]]], scorer: BertScorer,
                             specs: tuple[tuple[int, int], ...] = DEFAULT_SPECS, progress=None) -> RecallResult:
    """R@k/N for each ``(k, N)`` in ``specs``; ``films`` maps film id -> (generated, ground truth) in time order."""
    width = max(n for _, n in specs)
    result = RecallResult(scorer.name)
    names = [f"R@{k}/{n}" for k, n in specs]
    for name in names:
        result.films_skipped[name] = []
    for film, (generated, ground_truth) in films.items():
        if len(generated) != len(ground_truth):
            raise ValueError(f"film {film}: {len(generated)} generated ADs but {len(ground_truth)} ground-truth ADs")
        scores = band_scores(scorer, generated, ground_truth, width) if len(generated) >= min(n for _, n in specs) \
            else np.empty((len(generated), len(generated)))
        result.per_film[film] = {}
        for name, (k, n) in zip(names, specs):
            value = window_recall(scores, k, n)
            result.per_film[film][name] = value
            if value is None:
                result.films_skipped[name].append(film)
        if progress is not None:
            progress(1)
    for name in names:
        values = [v[name] for v in result.per_film.values() if v[name] is not None]
        result.overall[name] = float(np.mean(values)) if values else None
    return result
