"""DANTE-AD dual-vision fusion: frame-level tokens + scene-level context, gated.

The scene features of a clip (the frames of its whole scene) are mean-pooled (DANTE-AD's
global average pooling) and projected to one scene token ``s`` (C).  A learned,
input-dependent gate ``g = sigmoid(w . [mean_t(frame_tokens); s] + b)`` in (0, 1) mixes

    fused_t = g * frame_token_t + (1 - g) * s          for every token t

so ``g`` is how much the model leaned on the frames (vs the scene) for this clip; it is
returned so reports can show it per AD.  A clip with no scene frames gets ``g = 1``.
"""

from __future__ import annotations

import torch
from torch import nn

from .attention import masked_mean


class DualVisionGate(nn.Module):
    """frame_tokens (batch, T', C), scene (batch, S, scene_dim), scene_mask (batch, S) bool
    -> fused (batch, T', C), gate (batch,) in [0, 1]."""

    def __init__(self, scene_dim: int, dim: int):
        super().__init__()
        self.scene_proj = nn.Sequential(nn.LayerNorm(scene_dim), nn.Linear(scene_dim, dim))
        self.gate = nn.Linear(2 * dim, 1)

    def forward(self, frame_tokens: torch.Tensor, scene: torch.Tensor,
                scene_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        scene_token = self.scene_proj(masked_mean(scene, scene_mask, dim=1))  # (b, C)
        summary = torch.cat([frame_tokens.mean(1), scene_token], dim=-1)  # (b, 2C)
        gate = torch.sigmoid(self.gate(summary)).squeeze(-1)  # (b,)
        if scene_mask is not None:
            gate = torch.where(scene_mask.any(-1), gate, torch.ones_like(gate))
        g = gate[:, None, None]
        return g * frame_tokens + (1 - g) * scene_token[:, None, :], gate
