"""Losses: known values (log B for uniform similarities, hand-computed token sums), gradients."""

from __future__ import annotations

import math

import torch

from cinescribe.models.losses import (
    autoregressive_losses,
    ccc_loss,
    classification_loss,
    frame_aware_text,
    frame_word_loss,
    global_contrastive_loss,
    reconstruction_loss,
    stage1_loss,
)


def test_global_contrastive_uniform_is_log_b_each_way():
    v = torch.ones(5, 4)
    assert math.isclose(global_contrastive_loss(v, v).item(), 2 * math.log(5), rel_tol=1e-6)


def test_global_contrastive_separated_pairs_near_zero_and_gradient():
    v = torch.eye(4).requires_grad_(True)
    loss = global_contrastive_loss(v, torch.eye(4), logit_scale=100.0)
    assert loss.item() < 1e-6
    global_contrastive_loss(v, torch.eye(4).flip(0)).backward()
    assert v.grad.abs().sum() > 0


def test_frame_aware_text_attends_to_matching_word():
    frames = torch.tensor([[[1.0, 0], [0, 1.0]]])
    words = torch.tensor([[[1.0, 0], [0, 1.0], [9.0, 9.0]]])
    out = frame_aware_text(frames, words, torch.tensor([[True, True, False]]), tau=0.01)
    assert torch.allclose(out, frames, atol=1e-6)  # each frame picks its own word, the masked one is ignored


def test_frame_word_loss_uniform_is_log_b_and_masks_frames():
    b, n, m, c = 3, 4, 5, 6
    frames, words = torch.ones(b, n, c), torch.ones(b, m, c)
    loss = frame_word_loss(frames, None, words, None)
    assert math.isclose(loss.item(), math.log(b), rel_tol=1e-6)  # n positives out of b*n
    mask = torch.ones(b, n, dtype=torch.bool)
    mask[0, 2:] = False
    changed = frames.clone()
    changed[0, 2:] = 7.0
    loss_masked = frame_word_loss(changed, mask, words, None)
    # clip 0 has 2 valid frames: positives 2 of 2 + 4 + 4 -> log(5), others 4 of 10 -> log(10/4)
    expected = (math.log(5) + 2 * math.log(10 / 4)) / 3
    assert math.isclose(loss_masked.item(), expected, rel_tol=1e-5)


def test_stage1_combination_gradient_and_empty_rows_stay_finite():
    torch.manual_seed(0)
    frames = torch.randn(3, 4, 8, requires_grad=True)
    frame_mask = torch.ones(3, 4, dtype=torch.bool)
    frame_mask[2] = False  # a clip with no valid frame
    words, word_mask = torch.randn(3, 5, 8), torch.ones(3, 5, dtype=torch.bool)
    word_mask[1] = False  # an AD with no valid word
    cls = torch.randn(3, 8)
    out = stage1_loss(frames, frame_mask, cls, words, word_mask, gamma=0.5, tau=0.5)
    lg = global_contrastive_loss(frames[:, :4].mean(1) * torch.tensor([1.0, 1.0, 0.0])[:, None], cls)
    assert torch.isclose(out["global"], lg)
    assert torch.isclose(out["loss"], 0.5 * out["global"] + 0.5 * out["fine"])
    out["loss"].backward()
    assert torch.isfinite(frames.grad).all() and frames.grad[:2].abs().sum() > 0


def test_autoregressive_and_distinctive_losses_known_values():
    logp = torch.log(torch.tensor([[0.5, 0.25, 0.5], [0.125, 1.0, 1.0]]))
    target = torch.tensor([[True, True, True], [True, False, False]])
    distinct = torch.tensor([[False, True, False], [True, True, False]])
    auto, dist = autoregressive_losses(logp * target, target, distinct)
    assert math.isclose(auto.item(), (math.log(2) + math.log(4) + math.log(2) + math.log(8)) / 4, rel_tol=1e-6)
    assert math.isclose(dist.item(), (math.log(4) + math.log(8)) / 4, rel_tol=1e-6)  # masked padding excluded
    assert autoregressive_losses(logp, target)[1].item() == 0.0


def test_classification_regression_and_reconstruction_losses():
    logits = torch.tensor([[10.0, -10.0], [-10.0, 10.0]])
    assert classification_loss(logits, torch.tensor([0, 1]), multilabel=False).item() < 1e-6
    assert classification_loss(logits, torch.tensor([[1, 0], [0, 1]]), multilabel=True).item() < 1e-4
    y = torch.tensor([[0.1, -0.5], [0.4, 0.2], [-0.5, 0.3]])  # zero-mean columns
    assert abs(ccc_loss(y, y).item()) < 1e-6
    assert math.isclose(ccc_loss(-y, y).item(), 2.0, rel_tol=1e-5)  # anti-correlated, same means: CCC = -1
    assert ccc_loss(y + 1.0, y).item() > 0.5  # a constant offset is penalised (unlike Pearson)
    recon, target = torch.zeros(1, 3, 2), torch.tensor([[[1.0, 1.0], [2.0, 2.0], [50.0, 50.0]]])
    assert math.isclose(reconstruction_loss(recon, target, torch.tensor([[True, True, False]])).item(), 2.5)
