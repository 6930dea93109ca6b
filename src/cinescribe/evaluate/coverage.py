"""Fact coverage and false claims of ADs against what a describer wrote down for a clip.

A clip's *truth* (see ``benchmarks/quality_truth.yaml``) lists:

- ``required``: concepts a describer would say, each a list of interchangeable words or phrases
  (``walking: [walk, walks, walking, stroll]``); a concept is *said* when any AD of the clip
  contains one of them as whole words;
- ``true_words``: every content word that is true of the clip (nouns, verbs, adjectives a describer
  could use); a content word of an AD that is neither there, nor in :data:`NEUTRAL_WORDS`, nor one
  of the words of a required concept is a *false claim*;
- ``cuts``: hard-cut times in seconds, and ``transitions``: ``[start, end]`` spans of gradual ones.

Words are compared in lower case after light normalisation (``walks``/``walking``/``walked`` ->
``walk``), so the lists need only one form of each word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from ..function_words import PRONOUNS, STOP_WORDS

# Words that claim nothing about the picture: function words, quantity words and the writer's
# own connective vocabulary.  Numbers are neutral: a count can be off by one without being a false
# object or action, and counts are judged by the tracking tests instead.
NEUTRAL_WORDS = STOP_WORDS | PRONOUNS | frozenset("""
two three four five six seven eight nine ten several many few group pair couple
appear appears appeared remain remains stay stays now still then first again while past elsewhere
picture screen view
""".split())

_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-]*")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` (apostrophes and hyphens kept inside words)."""
    return _TOKEN.findall(text.lower())


def _forms(word: str) -> set[str]:
    """``word`` and the stems it may be an inflection of (a small, deliberate over-generation)."""
    out = {word}
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""),
                         ("ed", "e"), ("'s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: len(word) - len(suffix)] + repl
            out.add(stem)
            if len(stem) > 2 and stem[-1] == stem[-2]:  # running -> runn -> run
                out.add(stem[:-1])
    return out


def _normal(words: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for w in words:
        for t in tokens(w):
            found |= _forms(t)
    return found


@dataclass(frozen=True)
class ClipTruth:
    """What a describer would say about one clip (see the module docstring)."""

    name: str
    required: Mapping[str, Sequence[str]]
    true_words: frozenset[str]
    cuts: tuple[float, ...] = ()
    transitions: tuple[tuple[float, float], ...] = ()
    describer: str = ""

    @classmethod
    def from_dict(cls, name: str, d: Mapping) -> "ClipTruth":
        required = {str(k): [str(w) for w in v] for k, v in (d.get("required") or {}).items()}
        words = {str(w) for w in d.get("true_words") or ()}
        return cls(name, required, frozenset(words), tuple(float(c) for c in d.get("cuts") or ()),
                   tuple((float(a), float(b)) for a, b in d.get("transitions") or ()), str(d.get("describer", "")))


@dataclass
class Coverage:
    """Required concepts said / missed and the false claims of one clip's ADs."""

    said: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    false_claims: list[str] = field(default_factory=list)  # one entry per occurrence, "word (AD n)"

    @property
    def required(self) -> int:
        return len(self.said) + len(self.missed)


def _contains(text_tokens: Sequence[str], phrase: str) -> bool:
    want = tokens(phrase)
    if not want:
        return False
    n = len(want)
    norm = [_forms(t) for t in text_tokens]
    for i in range(len(text_tokens) - n + 1):
        if all(want[j] in norm[i + j] for j in range(n)):
            return True
    return False


def coverage(ads: Sequence[str], truth: ClipTruth) -> Coverage:
    """Score the ADs of one clip (in any order) against ``truth``."""
    result = Coverage()
    all_tokens = [tokens(t) for t in ads]
    for concept, phrases in truth.required.items():
        if any(_contains(toks, p) for toks in all_tokens for p in phrases):
            result.said.append(concept)
        else:
            result.missed.append(concept)
    allowed = _normal(truth.true_words) | _normal(w for ps in truth.required.values() for w in ps)
    for i, toks in enumerate(all_tokens, 1):
        for t in toks:
            if t in NEUTRAL_WORDS or t.isdigit():
                continue
            if not (_forms(t) & (allowed | NEUTRAL_WORDS)):
                result.false_claims.append(f"{t} (AD {i})")
    return result


@dataclass
class CutScore:
    """Cut recall and precision of one clip: hits, misses and false cuts."""

    hits: int
    truth: int
    detected: int

    @property
    def recall(self) -> float:
        return self.hits / self.truth if self.truth else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.detected if self.detected else 1.0


def cut_score(detected: Sequence[float], truth: ClipTruth, tolerance: float) -> CutScore:
    """Match detected cut times to the true hard cuts (within ``tolerance`` s) and transitions
    (inside the span, widened by ``tolerance``), one detection per true cut at most."""
    targets = [(c - tolerance, c + tolerance) for c in truth.cuts]
    targets += [(a - tolerance, b + tolerance) for a, b in truth.transitions]
    free = sorted(detected)
    hits = 0
    for lo, hi in targets:
        match = next((d for d in free if lo <= d <= hi), None)
        if match is not None:
            free.remove(match)
            hits += 1
    return CutScore(hits, len(targets), len(detected))
