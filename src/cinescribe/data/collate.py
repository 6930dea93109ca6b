"""Batching clip sequences into the padded, masked tensors the AD model reads.

For a batch of B sequences of at most N clips, at most T frames and at most S scene frames::

    frames      (B, N, T, D)   float32, zeros where padded     frame_mask (B, N, T) bool
    scene       (B, N, S, Ds)  float32 (only if clips have it) scene_mask (B, N, S) bool
    clip_mask   (B, N) bool    False for the padding clips of short sequences
    prompt_ids / prompt_mask   (B, N, Lp)   Characters / Previously ADs / "Description:"
    target_ids / target_mask / distinct_mask  (B, N, Lt)   the AD + EOS; its distinctive tokens

which are exactly the keyword arguments of :meth:`cinescribe.models.ADModel.forward`.  A clip
with more than ``max_frames`` frames keeps ``max_frames`` of them, evenly spaced.  The
distinctive words of a clip (DistinctAD eq. 12) are its words absent from the other ADs of its
sequence, minus stop-words, pronouns and cast names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from ..defaults import WORDS_PER_SECOND
from ..models.text import build_prompt, distinctive_words, encode_prompts, encode_targets
from .clips import ClipSequence



@dataclass
class Batch:
    """``inputs``: the model's tensors (above); the rest describes each clip, ``[b][n]``."""

    inputs: dict[str, torch.Tensor]
    films: list[str]
    texts: list[list[str]]
    starts: list[list[float]]
    ends: list[list[float]]
    previous_ads: list[list[list[str]]]
    cast: list[list[str]]
    word_budgets: list[list[float]] = field(default_factory=list)

    def to(self, device: torch.device | str) -> "Batch":
        self.inputs = {k: v.to(device) for k, v in self.inputs.items()}
        return self


def even_indices(count: int, keep: int) -> np.ndarray:
    """``keep`` evenly spaced indices of ``range(count)`` (all of them when ``count <= keep``)."""
    if count <= keep:
        return np.arange(count)
    return np.round(np.linspace(0, count - 1, keep)).astype(np.int64)


def pad_features(arrays: list[list[np.ndarray | None]], n: int, max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Nested ``[b][n]`` arrays (L_i, D) -> values (B, N, L, D) and mask (B, N, L)."""
    dim = next(a.shape[1] for row in arrays for a in row if a is not None)
    length = min(max_len, max(len(a) for row in arrays for a in row if a is not None))
    values = torch.zeros(len(arrays), n, length, dim)
    mask = torch.zeros(len(arrays), n, length, dtype=torch.bool)
    for i, row in enumerate(arrays):
        for j, a in enumerate(row):
            if a is None:
                continue
            a = a[even_indices(len(a), length)]
            values[i, j, :len(a)] = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
            mask[i, j, :len(a)] = True
    return values, mask


class SequenceCollator:
    """``collate(list[ClipSequence]) -> Batch``; give it to a DataLoader as ``collate_fn``.

    ``previous``: how many earlier ADs of the film each prompt shows (0 = none); ``use_cast``:
    whether prompts list the characters; ``distinct``: whether to compute the distinctive-word
    masks (needed for L_dist); ``words_per_second``: each clip's word budget for generation is
    ``max(1, duration * words_per_second)``.
    """

    def __init__(self, tokenizer, max_frames: int = 64, previous: int = 0, use_cast: bool = True,
                 distinct: bool = True, max_scene: int = 64, words_per_second: float = WORDS_PER_SECOND):
        self.tokenizer, self.max_frames, self.max_scene = tokenizer, max_frames, max_scene
        self.previous, self.use_cast, self.distinct = previous, use_cast, distinct
        self.words_per_second = words_per_second

    def __call__(self, sequences: Sequence[ClipSequence]) -> Batch:
        if not sequences:
            raise ValueError("an empty batch")
        n = max(len(s.clips) for s in sequences)
        frames, frame_mask = pad_features([[c.frames for c in s.clips] for s in sequences], n, self.max_frames)
        clip_mask = torch.zeros(len(sequences), n, dtype=torch.bool)
        for i, s in enumerate(sequences):
            clip_mask[i, :len(s.clips)] = True
        inputs = {"frames": frames, "frame_mask": frame_mask, "clip_mask": clip_mask}
        if all(c.scene is not None for s in sequences for c in s.clips):
            inputs["scene"], inputs["scene_mask"] = pad_features(
                [[c.scene for c in s.clips] for s in sequences], n, self.max_scene)
        texts = [[c.text for c in s.clips] for s in sequences]
        cast = [sorted({name for c in s.clips for name in c.cast}) if self.use_cast else [] for s in sequences]
        previous = [[s.previous_ads(j, self.previous) for j in range(len(s.clips))] for s in sequences]
        prompts = [[build_prompt(cast[i], previous[i][j]) for j in range(len(s.clips))]
                   for i, s in enumerate(sequences)]
        distinct = None
        if self.distinct:
            distinct = [[distinctive_words(t, row[:j] + row[j + 1:], cast[i]) for j, t in enumerate(row)]
                        for i, row in enumerate(texts)]
        inputs.update(encode_prompts(self.tokenizer, prompts))
        inputs.update(encode_targets(self.tokenizer, texts, distinct))
        return Batch(inputs, [s.film for s in sequences], texts,
                     [[c.start for c in s.clips] for s in sequences], [[c.end for c in s.clips] for s in sequences],
                     previous, cast,
                     [[max(1.0, c.duration * self.words_per_second) for c in s.clips] for s in sequences])
