"""Word error rate: (substitutions + deletions + insertions) / reference words, on normalised words.

Normalisation: lower case, punctuation removed (apostrophes inside words kept), whitespace split.
"""

from __future__ import annotations

import re
from typing import Sequence

_PUNCT = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")


def normalise(text: str) -> list[str]:
    """``"Copy that."`` -> ``["copy", "that"]``."""
    return _PUNCT.sub(" ", text.lower()).split()


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance between two word sequences."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER over paired texts (errors summed over all pairs / all reference words)."""
    if len(references) != len(hypotheses):
        raise ValueError("references and hypotheses must pair up")
    errors = words = 0
    for ref, hyp in zip(references, hypotheses):
        r = normalise(ref)
        errors += edit_distance(r, normalise(hyp))
        words += len(r)
    if words == 0:
        raise ValueError("the references hold no words")
    return errors / words
