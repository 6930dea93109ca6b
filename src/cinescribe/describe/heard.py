"""What the dialogue already says: names heard in it, and facts it has just told the listener.

* :func:`heard_names`: candidate character names from a transcript -- words written with a capital
  that do not open a sentence (Whisper capitalises names and sentence starts), minus a small list
  of words that are capitalised for other reasons (``I``, titles, days, months).  A name is kept
  with how often and when it was first heard, for the characters feature to offer.
* :func:`down_weight_heard`: a fact whose content words were spoken in the dialogue line just before
  a slot has its salience multiplied by ``weight``: the listener has just heard it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Sequence

from ..media.asr import Segment, Transcript
from .facts import Fact

NOT_NAMES = frozenset(
    "i i'm i'll i've i'd ok okay mr mrs ms miss dr sir madam god hey oh yes no monday tuesday wednesday "
    "thursday friday saturday sunday january february march april may june july august september october "
    "november december english christmas".split())
SENTENCE_END = re.compile(r"[.?!…]$")
RECENT_S = 8.0


def _bare(word: str) -> str:
    return re.sub(r"(?:'s|’s)$", "", word.strip(".,;:!?\"“”()…-"))


def heard_names(transcript: Transcript) -> list[dict[str, Any]]:
    """``[{"name", "count", "first"}]`` in the order first heard; see the module docstring."""
    found: dict[str, dict[str, Any]] = {}
    for segment in transcript.segments:
        opens = True
        for word in segment.words:
            name = _bare(word.text)
            if (not opens and len(name) > 1 and name[0].isupper() and name[1:].islower()
                    and name.isalpha() and name.lower() not in NOT_NAMES):
                entry = found.setdefault(name, {"name": name, "count": 0, "first": round(word.start, 3)})
                entry["count"] += 1
            opens = bool(SENTENCE_END.search(word.text.strip("\"”)")))
    return list(found.values())


def line_before(transcript: Transcript | None, t: float, recent: float = RECENT_S) -> Segment | None:
    """The dialogue line that ended last before ``t``, if it ended within ``recent`` seconds."""
    if transcript is None:
        return None
    before = [s for s in transcript.segments if s.end <= t + 1e-6]
    if not before:
        return None
    last = max(before, key=lambda s: s.end)
    return last if t - last.end <= recent else None


def _stem(word: str) -> str:
    w = _bare(word).lower()
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def down_weight_heard(facts: Sequence[Fact], line: Segment | None, weight: float = 0.3) -> list[Fact]:
    """``facts`` with those whose content words were said in ``line`` down-weighted, most salient first."""
    if line is None:
        return list(facts)
    said = {_stem(w) for w in line.text.split()}
    out = []
    for f in facts:
        content = [_stem(w) for w in f.words if len(w) > 2]
        heard = bool(content) and any(w in said for w in content)
        out.append(replace(f, salience=f.salience * weight, evidence={**f.evidence, "heard_in_dialogue": line.text})
                   if heard else f)
    return sorted(out, key=lambda f: -f.salience)
