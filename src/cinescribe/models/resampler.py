"""Resamplers: T frame embeddings -> T' visual tokens.

* :class:`PerceiverResampler` - Flamingo/DistinctAD Perceiver (DistinctAD eq. 4):
  ``h_x = Perceiver({f_1..f_T})`` in R^{T' x C}; learned latents attend to [frames; latents].
* :class:`VideoQFormer` - DANTE-AD video Q-Former: learned queries, self-attention among the
  queries, then cross-attention to the frames, then a feed-forward, per layer.

Both map frames (batch, T, D) + mask (batch, T) -> tokens (batch, T', C).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .attention import CrossAttention, FeedForward


@dataclass
class ResamplerConfig:
    """``kind``: "perceiver" or "qformer"; ``dim`` = C; ``num_latents`` = T' (queries)."""

    kind: str = "perceiver"
    dim: int = 512
    num_latents: int = 8
    depth: int = 2
    heads: int = 8
    dim_head: int = 64
    ff_mult: int = 4
    max_frames: int = 64

    def __post_init__(self) -> None:
        if self.kind not in ("perceiver", "qformer"):
            raise ValueError(f"resampler kind must be 'perceiver' or 'qformer', got '{self.kind}'")
        if min(self.dim, self.num_latents, self.depth, self.heads, self.dim_head, self.max_frames) < 1:
            raise ValueError("resampler sizes must be positive")


class _FrameInput(nn.Module):
    """Frames (b, T, D) -> (b, T, C): linear map to C plus a learned temporal position."""

    def __init__(self, input_dim: int, cfg: ResamplerConfig):
        super().__init__()
        self.proj = nn.Linear(input_dim, cfg.dim) if input_dim != cfg.dim else nn.Identity()
        self.time_emb = nn.Parameter(torch.zeros(cfg.max_frames, cfg.dim))
        self.max_frames = cfg.max_frames

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        t = frames.shape[1]
        if t > self.max_frames:
            raise ValueError(f"{t} frames per clip, the resampler was built for at most {self.max_frames}")
        return self.proj(frames) + self.time_emb[:t]


class PerceiverResampler(nn.Module):
    """Perceiver resampler (DistinctAD eq. 4; Flamingo).

    frames: (batch, T, input_dim), mask: (batch, T) bool -> (batch, T', C), T' = num_latents.
    Each layer: ``latents += Attn(LN(latents) -> [LN(frames); LN(latents)])``; ``latents += FF``.
    """

    def __init__(self, input_dim: int, cfg: ResamplerConfig):
        super().__init__()
        self.input = _FrameInput(input_dim, cfg)
        self.latents = nn.Parameter(torch.randn(cfg.num_latents, cfg.dim) * 0.02)
        self.layers = nn.ModuleList(
            nn.ModuleList([nn.LayerNorm(cfg.dim), nn.LayerNorm(cfg.dim),
                           CrossAttention(cfg.dim, heads=cfg.heads, dim_head=cfg.dim_head),
                           FeedForward(cfg.dim, cfg.ff_mult)])
            for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(cfg.dim)

    def forward(self, frames: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.input(frames)  # (b, T, C)
        b, t, n = x.shape[0], x.shape[1], self.latents.shape[0]
        latents = self.latents.expand(b, -1, -1)  # (b, T', C)
        if mask is None:
            mask = torch.ones(b, t, dtype=torch.bool, device=x.device)
        kv_mask = torch.cat([mask, mask.new_ones(b, n)], dim=1)  # (b, T + T')
        for norm_media, norm_latents, attn, ff in self.layers:
            q = norm_latents(latents)
            latents = latents + attn(q, torch.cat([norm_media(x), q], dim=1), kv_mask)
            latents = latents + ff(latents)
        return self.norm(latents)


class VideoQFormer(nn.Module):
    """Video Q-Former (DANTE-AD frame-level branch).

    frames: (batch, T, input_dim), mask: (batch, T) bool -> (batch, Q, C), Q = num_latents.
    Each layer: query self-attention, cross-attention to the frames, feed-forward (pre-norm).
    """

    def __init__(self, input_dim: int, cfg: ResamplerConfig):
        super().__init__()
        self.input = _FrameInput(input_dim, cfg)
        self.frame_norm = nn.LayerNorm(cfg.dim)
        self.queries = nn.Parameter(torch.randn(cfg.num_latents, cfg.dim) * 0.02)
        self.layers = nn.ModuleList(
            nn.ModuleList([nn.LayerNorm(cfg.dim), CrossAttention(cfg.dim, heads=cfg.heads, dim_head=cfg.dim_head),
                           nn.LayerNorm(cfg.dim), CrossAttention(cfg.dim, heads=cfg.heads, dim_head=cfg.dim_head),
                           FeedForward(cfg.dim, cfg.ff_mult)])
            for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(cfg.dim)

    def forward(self, frames: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.frame_norm(self.input(frames))  # (b, T, C)
        q = self.queries.expand(x.shape[0], -1, -1)  # (b, Q, C)
        for norm_self, self_attn, norm_cross, cross_attn, ff in self.layers:
            h = norm_self(q)
            q = q + self_attn(h, h)
            q = q + cross_attn(norm_cross(q), x, mask)
            q = q + ff(q)
        return self.norm(q)


def build_resampler(input_dim: int, cfg: ResamplerConfig) -> nn.Module:
    """The resampler ``cfg.kind`` names, reading frames of ``input_dim`` channels."""
    return PerceiverResampler(input_dim, cfg) if cfg.kind == "perceiver" else VideoQFormer(input_dim, cfg)
