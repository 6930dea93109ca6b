"""Generation settings and the penalty on words of the previous ADs (a LogitsProcessor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from transformers import LogitsProcessor

from ..function_words import PRONOUNS, STOP_WORDS
from .text import name_words, words


@dataclass
class GenerationSettings:
    """``strategy``: "greedy", "beam" or "sample".  ``previous_word_penalty`` is subtracted from
    the logits of the first token of each content word used in the previous ADs (0 = off)."""

    strategy: str = "greedy"
    num_beams: int = 4
    temperature: float = 0.7
    top_p: float = 0.9
    tokens_per_word: float = 1.5
    previous_word_penalty: float = 2.0

    def __post_init__(self) -> None:
        if self.strategy not in ("greedy", "beam", "sample"):
            raise ValueError(f"strategy must be greedy, beam or sample, got '{self.strategy}'")
        if self.num_beams < 1 or self.temperature <= 0 or not 0 < self.top_p <= 1 or self.tokens_per_word <= 0:
            raise ValueError("num_beams >= 1, temperature > 0, 0 < top_p <= 1 and tokens_per_word > 0 are required")

    def generate_kwargs(self) -> dict[str, object]:
        if self.strategy == "beam":
            return {"do_sample": False, "num_beams": self.num_beams}
        if self.strategy == "sample":
            return {"do_sample": True, "temperature": self.temperature, "top_p": self.top_p}
        return {"do_sample": False, "num_beams": 1}


def penalised_token_ids(tokenizer, previous_ads: Sequence[str], cast: Sequence[str] = ()) -> set[int]:
    """First token ids of the content words of ``previous_ads`` (stop-words, pronouns and cast
    names excluded: names and function words may repeat).  Each word is tokenised as
    ``" word"``, ``" Word"`` and ``"word"`` so that it is caught mid-sentence and at the start."""
    skip = STOP_WORDS | PRONOUNS | name_words(cast)
    ids: set[int] = set()
    for word in {w for ad in previous_ads for w in words(ad)} - skip:
        for variant in (" " + word, " " + word.capitalize(), word):
            pieces = tokenizer(variant, add_special_tokens=False)["input_ids"]
            if pieces:
                ids.add(pieces[0])
    return ids


class PreviousWordsPenalty(LogitsProcessor):
    """Subtract ``penalty`` from the logits of ``token_ids[row]`` for every batch row.

    scores: (batch * num_beams, vocab); row ``r`` belongs to batch item ``r // num_beams``.
    """

    def __init__(self, token_ids: Sequence[set[int]], penalty: float, num_beams: int = 1):
        self.penalty, self.num_beams = penalty, num_beams
        self.rows = [torch.tensor(sorted(ids), dtype=torch.long) for ids in token_ids]

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        scores = scores.clone()
        for r in range(scores.shape[0]):
            ids = self.rows[r // self.num_beams]
            if ids.numel():
                scores[r, ids.to(scores.device)] -= self.penalty
        return scores
