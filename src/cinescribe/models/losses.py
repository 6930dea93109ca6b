"""Losses of the AD models (DistinctAD eqs. 1-3, 11-12) and of the stream classifier.

``sim`` is the inner product, as in the paper; pass L2-normalised embeddings and a
``logit_scale`` (CLIP style) to get cosine similarity with a temperature.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .attention import masked_mean

_NEG = -1e9  # finite "minus infinity": fully masked rows stay finite, and so do their gradients


def autoregressive_losses(token_logp: torch.Tensor, target_mask: torch.Tensor,
                          distinct_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """L_auto (eq. 11) and L_dist (eq. 12) from per-token log-probabilities.

    token_logp: (..., L) = log P(w_n | prompt, w_<n) of each target token; target_mask and
    distinct_mask: (..., L) bool.  Eq. 12 sums log P(w_n = w_d^i | ...) over the target
    positions whose token is a distinctive word, i.e. the eq. 11 terms restricted to the
    distinctive positions.  Both sums are divided by the number of target tokens in the
    batch, so ``L_auto + L_dist`` is the paper's L_II up to that one constant.
    """
    count = target_mask.sum().clamp_min(1)
    auto = -(token_logp * target_mask).sum() / count
    if distinct_mask is None:
        return auto, token_logp.new_zeros(())
    dist = -(token_logp * (distinct_mask & target_mask)).sum() / count
    return auto, dist


def global_contrastive_loss(video: torch.Tensor, text: torch.Tensor, logit_scale: float = 1.0) -> torch.Tensor:
    """L_g = L_{v->AD} + L_{AD->v} (eq. 1 and its transpose).

    video: (B, C) mean-pooled frame embeddings v_i, text: (B, C) [CLS] embeddings t_i -> scalar.
    """
    logits = logit_scale * video @ text.t()  # (B, B)
    labels = torch.arange(video.shape[0], device=video.device)
    return F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)


def frame_aware_text(frames: torch.Tensor, words: torch.Tensor, word_mask: torch.Tensor | None,
                     tau: float) -> torch.Tensor:
    """Eq. 2: T~_i = softmax(V_i T'_i^T / tau) T'_i.

    frames: (B, n, C), words: (B, m, C), word_mask: (B, m) bool -> (B, n, C); a clip with no
    valid word gets zeros."""
    scores = frames @ words.transpose(1, 2) / tau  # (B, n, m)
    if word_mask is None:
        return torch.softmax(scores, dim=-1) @ words
    scores = scores.masked_fill(~word_mask[:, None, :], _NEG)
    return torch.softmax(scores, dim=-1) @ words * word_mask.any(1)[:, None, None]


def frame_word_loss(frames: torch.Tensor, frame_mask: torch.Tensor | None, words: torch.Tensor,
                    word_mask: torch.Tensor | None, tau: float = 0.1, logit_scale: float = 1.0) -> torch.Tensor:
    """Fine-grained multiple-instance frame-AD loss L_f (eqs. 2-3).

    frames: (B, n, C) frame embeddings V_i, words: (B, m, C) word embeddings T'_i, masks bool.
    For a frame f of clip i the positives are clip i's frame-aware AD embeddings T~_i, the
    negatives those of the other clips in the batch.  Eq. 3 takes one sampled frame per clip;
    this averages over all valid frames of the clip (the expectation of that sample).  The
    paper gives no value for the eq. 2 temperature; ``tau=0.1`` suits unit-norm embeddings.
    """
    b, n, _ = frames.shape
    fmask = frame_mask if frame_mask is not None else torch.ones(b, n, dtype=torch.bool, device=frames.device)
    t_tilde = frame_aware_text(frames, words, word_mask, tau)  # (B, n, C)
    sims = logit_scale * torch.einsum("ifc,jkc->ifjk", frames, t_tilde)  # (B, n, B, n)
    sims = sims.masked_fill(~fmask[None, None, :, :], _NEG)
    same = torch.eye(b, dtype=torch.bool, device=frames.device)[:, None, :, None]  # (B, 1, B, 1)
    positive = sims.masked_fill(~same, _NEG).flatten(2).logsumexp(-1)  # (B, n)
    total = sims.flatten(2).logsumexp(-1)  # (B, n)
    per_frame = (total - positive) * fmask
    per_clip = per_frame.sum(1) / fmask.sum(1).clamp_min(1)
    return per_clip[fmask.any(1)].mean()


def stage1_loss(frames: torch.Tensor, frame_mask: torch.Tensor | None, text_cls: torch.Tensor,
                words: torch.Tensor, word_mask: torch.Tensor | None, gamma: float = 0.5, tau: float = 0.1,
                logit_scale: float = 1.0) -> dict[str, torch.Tensor]:
    """Stage-I CLIP-AD adaptation loss L_I = gamma L_g + (1 - gamma) L_f (DistinctAD §3.1).

    frames: (B, n, C) CLIP-vision frame embeddings of each clip, text_cls: (B, C) the AD's [CLS]
    embedding t_i, words: (B, m, C) its word embeddings; v_i is the mean of the valid frames.
    Returns ``{"loss", "global", "fine"}``.
    """
    video = masked_mean(frames, frame_mask, dim=1)  # (B, C)
    global_loss = global_contrastive_loss(video, text_cls, logit_scale)
    fine = frame_word_loss(frames, frame_mask, words, word_mask, tau, logit_scale)
    return {"loss": gamma * global_loss + (1 - gamma) * fine, "global": global_loss, "fine": fine}


def classification_loss(logits: torch.Tensor, target: torch.Tensor, multilabel: bool) -> torch.Tensor:
    """Multi-class: logits (B, K), target (B,) class ids; multi-label: target (B, K) in {0, 1}."""
    if multilabel:
        return F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype))
    return F.cross_entropy(logits, target)


def ccc_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - mean concordance correlation coefficient over outputs; pred, target: (B, K)."""
    pm, tm = pred.mean(0), target.mean(0)
    cov = ((pred - pm) * (target - tm)).mean(0)
    ccc = 2 * cov / (pred.var(0, unbiased=False) + target.var(0, unbiased=False) + (pm - tm) ** 2 + 1e-8)
    return 1 - ccc.mean()


def reconstruction_loss(recon: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean squared error over valid positions; recon, target: (B, L, D), mask: (B, L) bool."""
    err = ((recon - target) ** 2).mean(-1)  # (B, L)
    if mask is None:
        return err.mean()
    return (err * mask).sum() / mask.sum().clamp_min(1)
