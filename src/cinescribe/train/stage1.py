"""Stage-I CLIP-AD adaptation (DistinctAD §3.1) on frame features.

DistinctAD fine-tunes the CLIP vision encoder so that frame embeddings align with the frozen
CLIP text encoder's AD embeddings, with L_I = gamma L_g + (1 - gamma) L_f
(:func:`cinescribe.models.losses.stage1_loss`, eqs. 1-3).  Frames reach cinescribe as stored
features, not pixels, so the trainable part here is a :class:`FrameAdapter` on top of them;
the text side (a local sentence encoder) stays frozen, as in the paper.  The adapter is then
applied to the frame features of Stage II (``model.stage1`` in the training config).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..data.clips import ClipSequence
from ..data.collate import pad_features
from ..data.text_features import TextEncoder
from ..models.checkpoint import load_checkpoint, save_checkpoint
from ..models.losses import stage1_loss

ADAPTER_KIND = "cinescribe-frame-adapter"


class FrameAdapter(nn.Module):
    """frames (..., input_dim) -> adapted, L2-normalised (..., output_dim).

    ``x' = x + MLP(LN(x))`` with the MLP's last layer zero-initialised (the adapter starts as
    the identity on the input features), then ``Linear(input_dim, output_dim)`` into the text
    encoder's space when the two sizes differ."""

    def __init__(self, input_dim: int, output_dim: int, hidden: int = 512):
        super().__init__()
        self.config = {"input_dim": input_dim, "output_dim": output_dim, "hidden": hidden}
        self.mlp = nn.Sequential(nn.LayerNorm(input_dim), nn.Linear(input_dim, hidden), nn.GELU(),
                                 nn.Linear(hidden, input_dim))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)
        self.out = nn.Linear(input_dim, output_dim) if output_dim != input_dim else nn.Identity()

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.out(frames + self.mlp(frames)), dim=-1)

    def save_pretrained(self, directory: str | Path) -> Path:
        return save_checkpoint(directory, ADAPTER_KIND, dict(self.config), self.state_dict())

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "FrameAdapter":
        raw, state = load_checkpoint(directory, ADAPTER_KIND)
        model = cls(**{k: int(raw[k]) for k in ("input_dim", "output_dim", "hidden") if k in raw})
        model.load_state_dict(state)
        return model


class Stage1Batch:
    """All valid clips of a batch of sequences, flattened: ``frames`` (M, T, D), ``frame_mask``
    (M, T), ``text_cls`` (M, C), ``words`` (M, m, C), ``word_mask`` (M, m)."""

    def __init__(self, inputs: dict[str, torch.Tensor], texts: list[str]):
        self.inputs, self.texts = inputs, texts

    def to(self, device) -> "Stage1Batch":
        self.inputs = {k: v.to(device) for k, v in self.inputs.items()}
        return self


class Stage1Collator:
    """Sequences -> :class:`Stage1Batch`; AD texts are embedded by the frozen ``encoder``
    (cached per text)."""

    def __init__(self, encoder: TextEncoder, max_frames: int = 64, max_words: int = 64):
        self.encoder, self.max_frames, self.max_words = encoder, max_frames, max_words
        self.cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def _embed(self, texts: Sequence[str]) -> None:
        new = sorted({t for t in texts if t not in self.cache})
        if new:
            sentences, tokens = self.encoder.encode(new)
            for t, s, w in zip(new, sentences, tokens):
                self.cache[t] = (torch.from_numpy(s), torch.from_numpy(w))

    def __call__(self, sequences: Sequence[ClipSequence]) -> Stage1Batch:
        clips = [c for s in sequences for c in s.clips]
        texts = [c.text for c in clips]
        self._embed(texts)
        frames, frame_mask = pad_features([[c.frames] for c in clips], 1, self.max_frames)
        words, word_mask = pad_features([[self.cache[t][1].numpy()] for t in texts], 1, self.max_words)
        inputs = {"frames": frames[:, 0], "frame_mask": frame_mask[:, 0],
                  "text_cls": torch.stack([self.cache[t][0] for t in texts]),
                  "words": words[:, 0], "word_mask": word_mask[:, 0]}
        return Stage1Batch(inputs, texts)


class Stage1Task:
    """Trains a :class:`FrameAdapter` with L_I; ``module`` is the adapter."""

    def __init__(self, adapter: FrameAdapter, collator: Stage1Collator, gamma: float, tau: float,
                 logit_scale: float):
        self.module, self.collate = adapter, collator
        self.gamma, self.tau, self.logit_scale = gamma, tau, logit_scale

    def loss(self, batch: Stage1Batch) -> dict[str, torch.Tensor]:
        x = batch.inputs
        frames = self.module(x["frames"])  # (M, T, C)
        out = stage1_loss(frames, x["frame_mask"], F.normalize(x["text_cls"], dim=-1), x["words"], x["word_mask"],
                          self.gamma, self.tau, self.logit_scale)
        return {"loss": out["loss"], "loss_global": out["global"], "loss_fine": out["fine"]}

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.module.load_state_dict(state)

    def save(self, folder: Path) -> Path:
        return self.module.save_pretrained(folder)


def build_stage1(section, dim: int, max_frames: int) -> Stage1Task:
    """The Stage-I task for frames of ``dim`` channels (``section``: the config's ``stage1``)."""
    encoder = TextEncoder(section.text_encoder or None)
    adapter = FrameAdapter(dim, encoder.dim, section.hidden)
    return Stage1Task(adapter, Stage1Collator(encoder, max_frames), section.gamma, section.tau, section.logit_scale)

