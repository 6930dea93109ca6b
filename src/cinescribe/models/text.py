"""The text side of the AD model: prompts, distinctive words, token encoding, word budgets.

Prompt layout (after the visual prefix tokens), one line per part that is present::

    Characters: Harry, Hermione.
    Previously: Harry opens the door. He looks around.
    Dialogue: Where is it?
    Description:

The target AD follows as `` <AD text><eos>``.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import torch

from ..function_words import PRONOUNS, STOP_WORDS

_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` (letters/digits, with an inner apostrophe kept)."""
    return [m.group(0).lower() for m in _WORD.finditer(text)]


def name_words(cast: Sequence[str]) -> set[str]:
    """Every word of every cast name: ``["Harry Potter"]`` -> ``{"harry", "potter"}``."""
    return {w for name in cast for w in words(name)}


def distinctive_words(target: str, context_ads: Sequence[str], cast: Sequence[str] = ()) -> set[str]:
    """DistinctAD's distinctive word set w_d (eq. 12) of one target AD.

    The words of ``target`` minus every word that appears in its context ADs (the other ADs of
    the N consecutive clips), stop-words, pronouns and the words of the cast names.
    """
    repeated = {w for ad in context_ads for w in words(ad)}
    return set(words(target)) - repeated - STOP_WORDS - PRONOUNS - name_words(cast)


def build_prompt(cast: Sequence[str] = (), previous_ads: Sequence[str] = (),
                 subtitles: Sequence[str] | None = None) -> str:
    """The interleaved text prompt that follows the visual tokens (layout in the module doc)."""
    lines = []
    if cast:
        lines.append("Characters: " + ", ".join(cast) + ".")
    if previous_ads:
        lines.append("Previously: " + " ".join(ad.strip() for ad in previous_ads))
    if subtitles:
        lines.append("Dialogue: " + " ".join(s.strip() for s in subtitles))
    lines.append("Description:")
    return "\n".join(lines)


def max_new_tokens_for(word_budget: float, tokens_per_word: float = 1.5) -> int:
    """Token limit of an AD slot: ``ceil(words * tokens_per_word) + 1`` (the +1 is the EOS)."""
    return max(1, math.ceil(max(word_budget, 0.0) * tokens_per_word)) + 1


def _pad(rows: list[list[int]], shape: tuple[int, int], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max([len(r) for r in rows] + [1])
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.bool)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, :len(row)] = True
    return ids.reshape(*shape, width), mask.reshape(*shape, width)


def _grid(items: Sequence[Sequence[object]], what: str) -> tuple[int, int]:
    b = len(items)
    n = max((len(row) for row in items), default=0)
    if b == 0 or n == 0:
        raise ValueError(f"{what} must be a non-empty batch of clip lists")
    return b, n


def encode_prompts(tokenizer, prompts: Sequence[Sequence[str]]) -> dict[str, torch.Tensor]:
    """Prompts (batch, clips) of str -> ``prompt_ids`` / ``prompt_mask`` (batch, clips, L).

    Shorter clip lists are padded with empty prompts (mask all False)."""
    b, n = _grid(prompts, "prompts")
    rows = [tokenizer(row[j], add_special_tokens=False)["input_ids"] if j < len(row) else []
            for row in prompts for j in range(n)]
    ids, mask = _pad(rows, (b, n), tokenizer.pad_token_id)
    return {"prompt_ids": ids, "prompt_mask": mask}


def encode_targets(tokenizer, targets: Sequence[Sequence[str]],
                   distinct: Sequence[Sequence[set[str]]] | None = None) -> dict[str, torch.Tensor]:
    """Target ADs (batch, clips) -> ``target_ids`` / ``target_mask`` / ``distinct_mask``
    (batch, clips, L).  Each target is `` <text>`` + EOS; ``distinct_mask`` marks the tokens
    that overlap a word of that clip's distinctive set (needs a fast tokenizer's offsets)."""
    b, n = _grid(targets, "targets")
    rows, flags = [], []
    for i, row in enumerate(targets):
        for j in range(n):
            if j >= len(row):
                rows.append([])
                flags.append([])
                continue
            text = " " + row[j].strip()
            enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
            wanted = distinct[i][j] if distinct is not None else set()
            spans = [m.span() for m in _WORD.finditer(text) if m.group(0).lower() in wanted]
            flags.append([any(s < e2 and s2 < e for s2, e2 in spans) for s, e in enc["offset_mapping"]] + [False])
            rows.append(list(enc["input_ids"]) + [tokenizer.eos_token_id])
    ids, mask = _pad(rows, (b, n), tokenizer.pad_token_id)
    dmask = torch.zeros_like(mask)
    flat = dmask.view(b * n, -1)
    for k, row_flags in enumerate(flags):
        flat[k, :len(row_flags)] = torch.tensor(row_flags, dtype=torch.bool)
    return {"target_ids": ids, "target_mask": mask, "distinct_mask": dmask}
