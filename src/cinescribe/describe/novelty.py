"""Keep what is new: DistinctAD's distinctiveness idea applied to facts instead of tokens.

DistinctAD (CVPR 2025, §3.2-3.3) suppresses what consecutive clips share so that each AD
says what is new.  Here the shared part is explicit: a fact whose key was *spoken* in one of
the previous ``window`` slots has its salience multiplied by ``repeat_weight``; new facts keep
theirs.  The writer then fills the word budget in order of this weighted salience.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

from .facts import Fact


@dataclass
class NoveltyTracker:
    """Remembers the fact keys spoken in the last ``window`` slots."""

    window: int = 3
    repeat_weight: float = 0.25
    _history: deque = field(default_factory=deque)

    def seen(self, key: str) -> bool:
        return any(key in keys for keys in self._history)

    def weigh(self, facts: Sequence[Fact]) -> list[Fact]:
        """Facts with salience lowered for repeats, most salient first."""
        weighted = [f if not self.seen(f.key) else replace(f, salience=f.salience * self.repeat_weight) for f in facts]
        return sorted(weighted, key=lambda f: -f.salience)

    def record(self, spoken_keys: Iterable[str]) -> None:
        """Add one slot's spoken fact keys (an empty set for a silent slot)."""
        self._history.append(frozenset(spoken_keys))
        while len(self._history) > self.window:
            self._history.popleft()
