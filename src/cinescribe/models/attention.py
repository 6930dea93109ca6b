"""Attention blocks shared by the resamplers and fusion modules (lucidrains style)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None, dim: int) -> torch.Tensor:
    """Mean of ``x`` over ``dim`` counting only positions where ``mask`` is True.

    ``x``: (..., L, ..., C) with ``mask`` broadcastable to ``x`` without its last axis.
    Rows with no valid position give zeros.
    """
    if mask is None:
        return x.mean(dim)
    weights = mask.to(x.dtype).unsqueeze(-1)
    return (x * weights).sum(dim) / weights.sum(dim).clamp_min(1.0)


class FeedForward(nn.Sequential):
    """Pre-norm MLP: (..., dim) -> (..., dim)."""

    def __init__(self, dim: int, mult: int = 4, dropout: float = 0.0):
        super().__init__(nn.LayerNorm(dim), nn.Linear(dim, dim * mult), nn.GELU(),
                         nn.Dropout(dropout), nn.Linear(dim * mult, dim))


class CrossAttention(nn.Module):
    """Multi-head attention of queries over a context.

    x: (batch, queries, dim), context: (batch, keys, context_dim), mask: (batch, keys) bool
    (True = attend) -> (batch, queries, dim).  A row whose mask is all False outputs zeros.
    """

    def __init__(self, dim: int, context_dim: int | None = None, heads: int = 8, dim_head: int = 64):
        super().__init__()
        inner, context_dim = heads * dim_head, context_dim or dim
        self.heads = heads
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)

    def forward(self, x: torch.Tensor, context: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        b, h = x.shape[0], self.heads
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)
        q, k, v = (t.reshape(b, t.shape[1], h, -1).transpose(1, 2) for t in (q, k, v))  # (b, h, n, d)
        attn_mask, has_key = None, None
        if mask is not None:
            has_key = mask.any(-1)  # (b,)
            safe = mask | ~has_key[:, None]  # empty rows attend everywhere, zeroed below
            attn_mask = safe[:, None, None, :]  # (b, 1, 1, keys)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)  # (b, h, n, d)
        out = self.to_out(out.transpose(1, 2).reshape(b, x.shape[1], -1))
        if has_key is not None:
            out = out * has_key[:, None, None].to(out.dtype)
        return out
