"""DistinctAD Contextual Expectation-Maximisation Attention (§3.2, eqs. 6-10, App. C).

Over the tokens of N consecutive clips, H (N*T' rows of C channels), with K bases M (K, C):

    E-step (eq. 6)   z_nk = softmax_k(h_n . mu_k / tau)
    M-step (eq. 7)   mu_k = sum_n z_nk h_n / sum_n z_nk
    repeated R times; then
    re-estimation (eq. 8)     H^ = Z M
    cross-attention (eq. 9, App. C eqs. 13-16)
                     Q = H W_Q + b_Q,  K = M W_K + b_K,  V = M W_V + b_V
                     H~ = softmax(Q K^T / sqrt(d_k)) V
    output (inside eq. 10)    H + alpha H^ + beta H~      (Proj is the AD model's projector)

App. C prints eq. 15 as ``V = M W_Q^T + b_V``; the text says three Linear layers, so V has its
own W_V here.  Padded clips (clip_mask False) take no part in the E/M steps.

Two forms of the E/M steps (``ContextualEMAConfig.form``):

* ``"emanet"`` (default): as EMANet (Li et al., ICCV 2019, DistinctAD's reference [34]) stabilises
  its EM attention.  The E/M iterations run without gradient; after every M step each basis is
  L2-normalised over its C channels, so H^ = Z M has rows of norm at most 1 whatever the scale of
  H; the initial bases are a buffer, not a learned parameter, maintained in training by a moving
  average of the batch's final bases, ``mu0 <- m mu0 + (1 - m) mean_b(mu)``, then re-normalised.
  Gradients reach H only through the identity and the cross-attention branch (eqs. 9-10).
* ``"literal"``: eq. 7 exactly as printed (weighted means, never normalised), differentiable
  through all R iterations, with the initial bases a learned (K, C) parameter ("randomly
  initialised").  H^ then carries the full magnitude of the cluster means, and alpha scales it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

FORMS = ("emanet", "literal")


@dataclass
class ContextualEMAConfig:
    """Paper defaults K=32, alpha=3, beta=1.  The paper gives no R or tau: R=3 follows EMANet,
    ``tau=None`` uses sqrt(C) (the scaled dot product).  alpha=0 / beta=0 switch a branch off.
    ``form`` is ``"emanet"`` or ``"literal"`` (module docstring); ``momentum`` is EMANet's
    moving-average rate for the initial bases (0.9 in its reference training)."""

    enabled: bool = True
    num_bases: int = 32
    iterations: int = 3
    tau: float | None = None
    alpha: float = 3.0
    beta: float = 1.0
    form: str = "emanet"
    momentum: float = 0.9

    def __post_init__(self) -> None:
        if self.num_bases < 1 or self.iterations < 1:
            raise ValueError("num_bases and iterations must be at least 1")
        if self.tau is not None and self.tau <= 0:
            raise ValueError("tau must be positive")
        if self.form not in FORMS:
            raise ValueError(f"form must be one of {', '.join(FORMS)}, got {self.form!r}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError("momentum must be in [0, 1)")


class ContextualEMA(nn.Module):
    """H (batch, N, T', C), clip_mask (batch, N) bool -> dict with
    ``out`` (batch, N, T', C) = H + alpha H^ + beta H~, ``bases`` (batch, K, C),
    ``responsibilities`` Z (batch, N, T', K), ``reestimated`` H^ and ``attended`` H~."""

    def __init__(self, dim: int, cfg: ContextualEMAConfig):
        super().__init__()
        self.cfg = cfg
        self.tau = cfg.tau if cfg.tau is not None else math.sqrt(dim)
        initial = nn.functional.normalize(torch.randn(cfg.num_bases, dim), dim=-1)  # (K, C)
        if cfg.form == "emanet":
            self.register_buffer("bases", initial)
        else:
            self.bases = nn.Parameter(initial)
        self.to_q, self.to_k, self.to_v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)

    def _iterate(self, h: torch.Tensor, w: torch.Tensor, normalise: bool) -> tuple[torch.Tensor, torch.Tensor]:
        mu = self.bases.expand(h.shape[0], -1, -1)  # (b, K, C)
        for _ in range(self.cfg.iterations):
            z = torch.softmax(h @ mu.transpose(1, 2) / self.tau, dim=-1)  # eq. 6: (b, n, K)
            zw = z * w
            mu = zw.transpose(1, 2) @ h / zw.sum(1).unsqueeze(-1).clamp_min(1e-6)  # eq. 7: (b, K, C)
            if normalise:
                mu = nn.functional.normalize(mu, dim=-1)
        return z, mu

    def em(self, h: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """h: (b, n, C), valid: (b, n) bool -> Z (b, n, K), M (b, K, C) after R iterations.

        ``literal``: Z is recomputed from the final M and both carry gradients.  ``emanet``: Z is
        the last E step's, M the last (normalised) M step's, both without gradient, and in
        training the initial bases move towards the batch mean of M."""
        w = valid.to(h.dtype).unsqueeze(-1)  # (b, n, 1)
        if self.cfg.form == "literal":
            _, mu = self._iterate(h, w, normalise=False)
            return torch.softmax(h @ mu.transpose(1, 2) / self.tau, dim=-1), mu
        with torch.no_grad():
            z, mu = self._iterate(h.detach(), w, normalise=True)
            if self.training:
                m = self.cfg.momentum
                self.bases.mul_(m).add_((1 - m) * mu.mean(0))
                self.bases.copy_(nn.functional.normalize(self.bases, dim=-1))
        return z, mu

    def forward(self, tokens: torch.Tensor, clip_mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        b, n, t, c = tokens.shape
        h = tokens.reshape(b, n * t, c)  # (b, N*T', C)
        if clip_mask is None:
            clip_mask = torch.ones(b, n, dtype=torch.bool, device=tokens.device)
        valid = clip_mask[:, :, None].expand(b, n, t).reshape(b, n * t)
        z, mu = self.em(h, valid)
        h_hat = z @ mu  # eq. 8: (b, N*T', C)
        q, k, v = self.to_q(h), self.to_k(mu), self.to_v(mu)  # eqs. 13-15
        h_tilde = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(c), dim=-1) @ v  # eq. 16
        out = h + self.cfg.alpha * h_hat + self.cfg.beta * h_tilde  # eq. 10 before Proj
        shape = (b, n, t, -1)
        return {"out": out.reshape(shape), "bases": mu, "responsibilities": z.reshape(shape),
                "reestimated": h_hat.reshape(shape), "attended": h_tilde.reshape(shape)}
