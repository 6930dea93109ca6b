"""Predictions: write them in the table format and pair them with the ground-truth ADs.

A prediction file is any file :func:`~cinescribe.data.annotations.read_annotations` reads (usually a
CSV/JSONL table with ``film, start, end, text``, or ``describe``'s ``*.ad.json``).  Pairing:

- ``exact`` (default): each ground-truth AD takes the prediction with the same key
  ``(film, start ms, end ms)``; a ground-truth AD without one is an error.  This is how the AD
  benchmarks are run: the model is given the ground-truth intervals.
- ``overlap``: each ground-truth AD takes the prediction of the same film that overlaps it the
  most in time (ties: the earlier one); one with no overlapping prediction is scored as an empty
  prediction and counted in ``unmatched``.  This is for ``describe`` output, whose slots are its own.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..atomic import write_text
from ..errors import InputError
from .annotations import AD, ADSet

MATCHES = ("exact", "overlap")


def write_predictions(path: str | Path, ads: Iterable[AD]) -> Path:
    """Atomically write ADs as a ``.csv`` or ``.jsonl`` prediction table."""
    path = Path(path)
    ads = list(ads)
    if path.suffix.lower() == ".jsonl":
        text = "".join(json.dumps({"film": a.film, "start": a.start, "end": a.end, "text": a.text,
                                   "characters": list(a.characters)}, ensure_ascii=False) + "\n" for a in ads)
    elif path.suffix.lower() == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["film", "start", "end", "text", "characters"])
        for a in ads:
            w.writerow([a.film, f"{a.start:.3f}", f"{a.end:.3f}", a.text, ";".join(a.characters)])
        text = buf.getvalue()
    else:
        raise InputError(f"{path}: predictions are written as .csv or .jsonl")
    return write_text(path, text)


@dataclass
class Alignment:
    """Ground-truth ADs (time order within each film) and the prediction text paired with each."""

    gt: list[AD]
    pred: list[str]
    match: str
    unmatched: int
    unused_predictions: int

    def films(self) -> dict[str, list[int]]:
        """Film id -> indices into ``gt``/``pred``, in time order."""
        out: dict[str, list[int]] = {}
        for i, ad in enumerate(self.gt):
            out.setdefault(ad.film, []).append(i)
        return out


def align(gt: ADSet, pred: ADSet, match: str = "exact") -> Alignment:
    """Pair every ground-truth AD with a prediction (see the module docstring for ``match``)."""
    if match not in MATCHES:
        raise InputError(f"unknown --match {match!r}; choose from {', '.join(MATCHES)}")
    common = {a.film for a in gt.ads} & {a.film for a in pred.ads}
    if not common:
        gt_films, pred_films = sorted({a.film for a in gt.ads}), sorted({a.film for a in pred.ads})
        raise InputError(f"{pred.source}: no film in common with {gt.source} (predictions: "
                         f"{', '.join(pred_films[:3])}; ground truth: {', '.join(gt_films[:3])}); "
                         "film ids must be the same in both files")
    if match == "exact":
        gt_keys, pred_keys = [a.key for a in gt.ads], [a.key for a in pred.ads]
        by_key = dict(zip(pred_keys, (a.text for a in pred.ads)))
        missing = [a for a, k in zip(gt.ads, gt_keys) if k not in by_key]
        if missing:
            m = missing[0]
            raise InputError(f"{pred.source}: {len(missing)} of {len(gt)} ground-truth ADs have no prediction with the "
                             f"same film, start and end (first: film {m.film}, {m.start:g}-{m.end:g} s); predict "
                             "every ground-truth AD or use --match overlap")
        known = set(gt_keys)
        unused = sum(1 for k in pred_keys if k not in known)
        return Alignment(list(gt.ads), [by_key[k] for k in gt_keys], match, 0, unused)
    gt_films, pred_films = gt.by_film(), pred.by_film()
    texts: list[str] = []
    used = 0
    unmatched = 0
    for film, ads in gt_films.items():
        preds = pred_films.get(film, [])
        if not preds:
            texts.extend("" for _ in ads)
            unmatched += len(ads)
            continue
        gs, ge = np.array([a.start for a in ads]), np.array([a.end for a in ads])
        ps, pe = np.array([p.start for p in preds]), np.array([p.end for p in preds])
        inter = np.minimum(ge[:, None], pe[None, :]) - np.maximum(gs[:, None], ps[None, :])  # (gt, pred)
        best = inter.argmax(axis=1)
        hit = inter[np.arange(len(ads)), best] > 0
        texts.extend(preds[j].text if h else "" for j, h in zip(best, hit))
        unmatched += int((~hit).sum())
        used += len(set(best[hit].tolist()))
    return Alignment(list(gt.ads), texts, match, unmatched, len(pred) - used)
