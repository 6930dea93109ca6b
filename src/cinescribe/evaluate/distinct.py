"""Distinctiveness: how much consecutive ADs of a film repeat each other (DistinctAD's problem).

DistinctAD (Fang et al. 2025, §1 and §3.2) names the failure: ADs of adjacent clips come out nearly
the same, because adjacent clips look alike.  These measures make it visible on any AD list
(generated or ground truth), per film, on PTB tokens (:mod:`.ptb`):

- ``neighbour BLEU-2`` and ``neighbour CIDEr-D``: each AD scored against the AD just before it in
  the same film, as if the previous AD were its reference (pycocoevalcap's formulas, via
  :mod:`.captioning`); high means "says what the previous AD said".  Lower is better.
- ``repeated content words``: the share of an AD's content words (tokens that are not stop words)
  that already appear in the previous AD; averaged over ADs that have content words.  Lower is better.
- ``distinct-1`` / ``distinct-2`` (Li et al. 2016): distinct n-grams / all n-grams over a film's ADs.
  Higher is better.

Film-level values are means over the film's consecutive pairs (or its ADs); the overall value is the
mean over films, so long films do not dominate.  Films with a single AD have no pairs and do not
count towards the neighbour measures.
"""

from __future__ import annotations

import numpy as np

from ..function_words import PRONOUNS, STOP_WORDS
from . import captioning

# Function words (articles, pronouns, auxiliaries, prepositions, conjunctions) and the pieces
# the PTB tokenizer splits off ('s, n't, ...).
FUNCTION_WORDS = STOP_WORDS | PRONOUNS | frozenset("'s n't 'm 're 've 'll 'd -lrb- -rrb-".split())

MEASURES = ("neighbour BLEU-2", "neighbour CIDEr-D", "repeated content words", "distinct-1", "distinct-2")


def _distinct(sentences: list[list[str]], n: int) -> float | None:
    grams = [tuple(s[i:i + n]) for s in sentences for i in range(len(s) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def _repeated(prev: list[str], cur: list[str]) -> float | None:
    content = [w for w in cur if w not in FUNCTION_WORDS]
    if not content:
        return None
    before = set(prev)
    return sum(w in before for w in content) / len(content)


def distinctiveness(films: dict[str, list[str]]) -> tuple[dict[str, float | None], dict[str, dict[str, float | None]]]:
    """Overall and per-film measures for ``films``: film id -> its PTB-tokenised ADs in time order."""
    pairs_film: list[str] = []
    hyps: list[str] = []
    refs: list[list[str]] = []
    for film, ads in films.items():
        for prev, cur in zip(ads, ads[1:]):
            pairs_film.append(film)
            hyps.append(cur)
            refs.append([prev])
    bleu2 = cider = np.zeros(0)
    if hyps:
        corpus = captioning.Corpus.build(hyps, refs)
        bleu2 = captioning.bleu_stats(corpus, n=2).sentences()[:, 1]
        cider = captioning.cider_d(corpus)
    film_of = np.array(pairs_film)
    per_film: dict[str, dict[str, float | None]] = {}
    for film, ads in films.items():
        toks = [s.split() for s in ads]
        sel = film_of == film if len(film_of) else np.zeros(0, dtype=bool)
        repeated = [r for r in (_repeated(p, c) for p, c in zip(toks, toks[1:])) if r is not None]
        per_film[film] = {
            "neighbour BLEU-2": float(bleu2[sel].mean()) if sel.any() else None,
            "neighbour CIDEr-D": float(cider[sel].mean()) if sel.any() else None,
            "repeated content words": float(np.mean(repeated)) if repeated else None,
            "distinct-1": _distinct(toks, 1),
            "distinct-2": _distinct(toks, 2),
        }
    overall: dict[str, float | None] = {}
    for m in MEASURES:
        values = [v[m] for v in per_film.values() if v[m] is not None]
        overall[m] = float(np.mean(values)) if values else None
    return overall, per_film
