"""Defaults that several stages share, each defined once.

* :data:`WORDS_PER_SECOND`: the AD speaking rate (DESIGN.md): a slot of ``s`` seconds holds
  :func:`word_budget` ``= floor(s * rate)`` words; the planner, extended AD, the review page's
  checks and training all use it.
* :data:`FEATURE_FPS` and :data:`FEATURE_MAX_SIDE`: how frames are sampled for the feature store
  (``extract``, ``batch --extract``, the classifier's motion stream).
"""

from __future__ import annotations

import math

WORDS_PER_SECOND = 2.5
FEATURE_FPS = 4.0
FEATURE_MAX_SIDE = 256


def word_budget(seconds: float, words_per_second: float = WORDS_PER_SECOND) -> int:
    """The most words spoken in ``seconds`` at ``words_per_second`` (``1e-9`` absorbs float error:
    2.0 s at 2.5 words/s is 5 words, not 4)."""
    return int(math.floor(max(0.0, seconds) * words_per_second + 1e-9))
