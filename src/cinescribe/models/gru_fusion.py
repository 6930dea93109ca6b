"""Cross-attentive GRU fusion of feature streams (video motion, image frames, caption text).

    stream s: x_s (B, L_s, D_s), mask_s (B, L_s)
      ─► [augment: noise, frame dropout, stream dropout; training only]
      ─► bidirectional GRU over valid steps ─► (B, L_s, d)
      ─► cross-attention: stream s attends to the tokens of all other streams ─► (B, L_s, d)
      ─► masked mean per stream, mean over present streams ─► (B, d) ─► head (B, K)

``fusion="concat"`` is the ablation without cross-attention: each stream's tokens are pooled
on their own and the pooled vectors are concatenated (a missing stream gives zeros) and mapped
to ``d`` by a two-layer MLP before the same head.

Heads: ``multiclass`` (logits, cross-entropy), ``multilabel`` (logits, BCE), ``regression``
(tanh-bounded in [-1, 1], e.g. valence/arousal; MSE + CCC).  An auxiliary auto-encoding term
reconstructs each stream's clean input from its fused tokens (denoising when augmented).
Any stream may be missing: leave it out of the dict or give it an all-False mask for a sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import CrossAttention, FeedForward, masked_mean
from ..errors import InputError
from .checkpoint import load_checkpoint, save_checkpoint
from .config import config_from_dict, config_to_dict
from .losses import ccc_loss, classification_loss, reconstruction_loss

CHECKPOINT_KIND = "cinescribe-stream-fusion"


@dataclass
class StreamFusionConfig:
    stream_dims: dict[str, int] = field(default_factory=lambda: {"video": 768, "image": 512, "text": 384})
    task: str = "multiclass"
    num_outputs: int = 2
    d_model: int = 128
    gru_hidden: int = 128
    gru_layers: int = 1
    heads: int = 4
    dropout: float = 0.1
    noise_std: float = 0.05
    frame_drop: float = 0.1
    stream_drop: float = 0.2
    recon_weight: float = 0.1
    fusion: str = "cross"

    def __post_init__(self) -> None:
        if self.task not in ("multiclass", "multilabel", "regression"):
            raise ValueError(f"task must be multiclass, multilabel or regression, got '{self.task}'")
        if not self.stream_dims or self.num_outputs < 1:
            raise ValueError("at least one stream and one output are required")
        bad = [s for s in self.stream_dims if not s.isidentifier()]
        if bad:
            raise ValueError(f"stream names must be identifiers (letters, digits, _), got {bad}")
        if self.fusion not in ("cross", "concat"):
            raise ValueError(f"fusion must be cross or concat, got '{self.fusion}'")
        if self.d_model % self.heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by heads ({self.heads})")


class StreamEncoder(nn.Module):
    """x (B, L, D), mask (B, L) bool -> (B, L, d); valid steps may sit anywhere, they are
    packed in order for a bidirectional GRU; masked steps output zeros and change nothing."""

    def __init__(self, in_dim: int, hidden: int, d_model: int, layers: int = 1):
        super().__init__()
        self.norm = nn.LayerNorm(in_dim)
        self.gru = nn.GRU(in_dim, hidden, layers, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, d_model)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)  # valid steps first: (B, L)
        packed_in = self.norm(x).gather(1, order[..., None].expand_as(x))
        lengths = mask.sum(1).clamp_min(1).cpu()
        packed = pack_padded_sequence(packed_in, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # (B, L, 2h)
        out = self.out(out)
        restored = torch.zeros_like(out).scatter(1, order[..., None].expand_as(out), out)
        return restored * mask[..., None]


class StreamFusionModel(nn.Module):
    """streams: {name: (B, L_s, D_s)}, masks: {name: (B, L_s) bool} -> dict with ``output``
    (B, K), ``pooled`` (B, d), ``present`` (B, S) and ``recon_loss`` (scalar)."""

    def __init__(self, config: StreamFusionConfig):
        super().__init__()
        self.config = config
        d = config.d_model
        self.encoders = nn.ModuleDict({s: StreamEncoder(dim, config.gru_hidden, d, config.gru_layers)
                                       for s, dim in config.stream_dims.items()})
        if config.fusion == "cross":
            self.cross = nn.ModuleDict({s: CrossAttention(d, heads=config.heads, dim_head=d // config.heads)
                                        for s in config.stream_dims})
            self.norms = nn.ModuleDict({s: nn.LayerNorm(d) for s in config.stream_dims})
        else:
            width = len(config.stream_dims) * d
            self.concat = nn.Sequential(nn.Linear(width, d), nn.GELU(), nn.Linear(d, d))
        self.ff = nn.ModuleDict({s: FeedForward(d, 2, config.dropout) for s in config.stream_dims})
        self.recon = nn.ModuleDict({s: nn.Linear(d, dim) for s, dim in config.stream_dims.items()})
        self.head = nn.Sequential(nn.LayerNorm(d), nn.Dropout(config.dropout), nn.Linear(d, config.num_outputs))

    def augment(self, streams: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]):
        """Training-time feature augmentation: Gaussian noise, frame dropout, stream dropout.
        Every sample keeps at least one frame of each present stream and one present stream."""
        cfg = self.config
        noisy = {s: x + cfg.noise_std * torch.randn_like(x) for s, x in streams.items()}
        kept = {}
        for s, m in masks.items():
            dropped = m & (torch.rand(m.shape, device=m.device) >= cfg.frame_drop)
            kept[s] = torch.where(dropped.any(1, keepdim=True), dropped, m)
        names = list(kept)
        present = torch.stack([kept[s].any(1) for s in names], 1)  # (B, S)
        alive = present & (torch.rand(present.shape, device=present.device) >= cfg.stream_drop)
        alive = torch.where(alive.any(1, keepdim=True), alive, present)
        return noisy, {s: kept[s] & alive[:, i, None] for i, s in enumerate(names)}

    def forward(self, streams: dict[str, torch.Tensor], masks: dict[str, torch.Tensor] | None = None) -> dict:
        unknown = set(streams) - set(self.encoders)
        if unknown or not streams:
            raise ValueError(f"streams must be a non-empty subset of {sorted(self.encoders)}, got {sorted(streams)}")
        masks = dict(masks or {})
        for s, x in streams.items():
            masks.setdefault(s, torch.ones(x.shape[:2], dtype=torch.bool, device=x.device))
        clean = streams
        if self.training:
            streams, masks = self.augment(streams, masks)
        names = list(streams)
        tokens = {s: self.encoders[s](streams[s], masks[s]) for s in names}  # (B, L_s, d)
        fused, pooled = {}, []
        for s in names:
            others = [o for o in names if o != s]
            h = tokens[s]
            if others and self.config.fusion == "cross":
                ctx = torch.cat([tokens[o] for o in others], 1)
                ctx_mask = torch.cat([masks[o] for o in others], 1)
                h = h + self.cross[s](self.norms[s](h), ctx, ctx_mask)
            h = (h + self.ff[s](h)) * masks[s][..., None]
            fused[s] = h
            pooled.append(masked_mean(h, masks[s], dim=1))  # (B, d)
        present = torch.stack([masks[s].any(1) for s in names], 1)  # (B, S)
        if not bool(present.any(1).all()):
            raise ValueError("every sample needs at least one stream with one valid step")
        if self.config.fusion == "cross":
            pooled_all = masked_mean(torch.stack(pooled, 1), present, dim=1)  # (B, d)
        else:
            by_name = dict(zip(names, pooled))  # a masked-out stream pools to zeros already
            slots = [by_name.get(s, torch.zeros_like(pooled[0])) for s in self.encoders]
            pooled_all = self.concat(torch.cat(slots, 1))  # (B, S * d) -> (B, d)
        output = self.head(pooled_all)
        if self.config.task == "regression":
            output = torch.tanh(output)
        recon = sum(reconstruction_loss(self.recon[s](fused[s]), clean[s], masks[s]) for s in names) / len(names)
        return {"output": output, "pooled": pooled_all, "present": present, "recon_loss": recon}

    def loss(self, result: dict, target: torch.Tensor) -> torch.Tensor:
        """Task loss + recon_weight * auto-encoding loss.  Regression uses MSE + (1 - CCC)."""
        out = result["output"]
        if self.config.task == "regression":
            task = nn.functional.mse_loss(out, target) + ccc_loss(out, target)
        else:
            task = classification_loss(out, target, multilabel=self.config.task == "multilabel")
        return task + self.config.recon_weight * result["recon_loss"]

    def save_pretrained(self, directory: str | Path) -> Path:
        return save_checkpoint(directory, CHECKPOINT_KIND, config_to_dict(self.config), self.state_dict())

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "StreamFusionModel":
        raw, state = load_checkpoint(directory, CHECKPOINT_KIND)
        model = cls(config_from_dict(StreamFusionConfig, raw, "stream fusion config"))
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise InputError(f"checkpoint {directory} does not fit its config: {str(exc).splitlines()[0]}") from None
        return model
