"""Resamplers, dual-vision gate and Contextual EMA on tiny configs: shapes, gradients, known values."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cinescribe.models.contextual_ema import ContextualEMA, ContextualEMAConfig
from cinescribe.models.dual_vision import DualVisionGate
from cinescribe.models.resampler import PerceiverResampler, ResamplerConfig, VideoQFormer

TINY = dict(dim=8, num_latents=3, depth=2, heads=2, dim_head=4, ff_mult=2, max_frames=16)


def standardised(*shape: int) -> torch.Tensor:
    """Rows with zero mean and unit variance, so LayerNorm leaves them (almost) unchanged."""
    x = torch.randn(*shape)
    return (x - x.mean(-1, keepdim=True)) / x.std(-1, unbiased=False, keepdim=True)


@pytest.mark.parametrize("cls,kind", [(PerceiverResampler, "perceiver"), (VideoQFormer, "qformer")])
def test_resampler_shapes_gradients_and_mask(cls, kind):
    torch.manual_seed(0)
    model = cls(12, ResamplerConfig(kind=kind, **TINY))
    frames = torch.randn(2, 5, 12, requires_grad=True)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    out = model(frames, mask)
    assert out.shape == (2, 3, 8)
    out.sum().backward()
    assert frames.grad[0, 3:].abs().sum() == 0 and frames.grad[0, :3].abs().sum() > 0
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    changed = frames.detach().clone()
    changed[0, 3:] = 100.0
    assert torch.allclose(model(changed, mask), out, atol=1e-5)


def _identity_attention(attn) -> None:
    """Queries that see every key equally (zero W_q) and values passed through unchanged."""
    torch.nn.init.zeros_(attn.to_q.weight)
    attn.to_v.weight.data.copy_(torch.eye(attn.to_v.weight.shape[0]))
    attn.to_out.weight.data.copy_(torch.eye(attn.to_out.weight.shape[0]))


def test_perceiver_one_latent_averages_its_inputs():
    cfg = ResamplerConfig(dim=4, num_latents=1, depth=1, heads=1, dim_head=4, ff_mult=1)
    model = PerceiverResampler(4, cfg)
    with torch.no_grad():
        model.latents.zero_()
        _, _, attn, ff = model.layers[0]
        _identity_attention(attn)
        ff[-1].weight.zero_()
        ff[-1].bias.zero_()
    x = standardised(2, 6, 4)
    mask = torch.tensor([[1] * 6, [1, 1, 1, 0, 0, 0]], dtype=torch.bool)
    out = model(x, mask)[:, 0]
    # uniform attention over [valid frames; the (zero) latent] -> sum(valid frames) / (n + 1)
    expected = torch.stack([x[0].sum(0) / 7, x[1, :3].sum(0) / 4])
    assert torch.allclose(out, F.layer_norm(expected, (4,)), atol=1e-3)


def test_qformer_one_query_averages_its_frames():
    cfg = ResamplerConfig(kind="qformer", dim=4, num_latents=1, depth=1, heads=1, dim_head=4, ff_mult=1)
    model = VideoQFormer(4, cfg)
    with torch.no_grad():
        model.queries.zero_()
        _, _, _, cross, ff = model.layers[0]
        _identity_attention(cross)
        ff[-1].weight.zero_()
        ff[-1].bias.zero_()
    x = standardised(1, 5, 4)
    out = model(x, torch.tensor([[1, 1, 0, 1, 0]], dtype=torch.bool))[0, 0]
    assert torch.allclose(out, F.layer_norm(x[0, [0, 1, 3]].mean(0), (4,)), atol=1e-3)


def test_dual_vision_gate_extremes_and_gradient():
    torch.manual_seed(0)
    gate = DualVisionGate(scene_dim=6, dim=8)
    tokens = torch.randn(3, 4, 8, requires_grad=True)
    scene = torch.randn(3, 5, 6)
    mask = torch.tensor([[1] * 5, [1, 1, 0, 0, 0], [0] * 5], dtype=torch.bool)
    fused, g = gate(tokens, scene, mask)
    assert fused.shape == (3, 4, 8) and g.shape == (3,)
    assert ((g >= 0) & (g <= 1)).all()
    assert g[2] == 1 and torch.equal(fused[2], tokens[2])  # no scene frames -> frames only
    (fused[:2].sum() + g[:2].sum()).backward()
    assert gate.gate.weight.grad.abs().sum() > 0 and gate.scene_proj[1].weight.grad.abs().sum() > 0
    with torch.no_grad():
        gate.gate.bias.fill_(50.0)
        fused, g = gate(tokens, scene, mask)
        assert torch.allclose(g, torch.ones(3)) and torch.allclose(fused, tokens)
        gate.gate.bias.fill_(-50.0)
        fused, g = gate(tokens, scene, mask)
        scene_token = gate.scene_proj(scene[0].mean(0))
        assert torch.allclose(fused[0], scene_token.expand(4, -1), atol=1e-6)


def two_clusters() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    centres = torch.tensor([[4.0, 0, 0, 0], [0, 4.0, 0, 0]])
    labels = torch.arange(16) % 2
    h = centres[labels] + 0.05 * torch.randn(16, 4)
    return h.reshape(1, 2, 8, 4), torch.stack([h[labels == k].mean(0) for k in range(2)])


def test_ema_bases_converge_to_cluster_centres():
    h, means = two_clusters()
    ema = ContextualEMA(4, ContextualEMAConfig(num_bases=2, iterations=5, tau=1.0, form="literal"))
    with torch.no_grad():
        ema.bases.copy_(torch.tensor([[1.0, 0.3, 0, 0], [0.3, 1.0, 0, 0]]))
    out = ema(h)
    assert torch.allclose(out["bases"][0], means, atol=1e-3)
    z = out["responsibilities"].reshape(16, 2)
    assert torch.equal(z.argmax(-1), torch.arange(16) % 2)
    assert torch.allclose(out["reestimated"].reshape(16, 4), means[torch.arange(16) % 2], atol=1e-3)  # H^ = Z M


def test_ema_output_combination_mask_and_gradients():
    h, _ = two_clusters()
    cfg = ContextualEMAConfig(num_bases=3, iterations=2, alpha=3.0, beta=1.0, form="literal")
    ema = ContextualEMA(4, cfg)
    x = torch.cat([h, torch.full((1, 1, 8, 4), 50.0)], 1).requires_grad_(True)  # 3 clips, last padded
    mask = torch.tensor([[True, True, False]])
    out = ema(x, mask)
    assert out["out"].shape == (1, 3, 8, 4) and out["bases"].shape == (1, 3, 4)
    assert torch.allclose(out["out"], x + 3 * out["reestimated"] + out["attended"])
    assert torch.allclose(ema(h)["bases"], out["bases"], atol=1e-5)  # padded clip ignored by E/M
    out["out"][:, :2].sum().backward()
    for p in (ema.bases, ema.to_q.weight, ema.to_k.weight, ema.to_v.weight):
        assert p.grad is not None and p.grad.abs().sum() > 0
    plain = ContextualEMA(4, ContextualEMAConfig(num_bases=3, alpha=0.0, beta=0.0))
    assert torch.equal(plain(h)["out"], h)


def test_emanet_form_normalises_bases_so_the_reestimate_is_bounded():
    h, means = two_clusters()
    h = 10 * h  # cluster means of norm 40: the literal H^ carries that magnitude, EMANet's does not
    literal = ContextualEMA(4, ContextualEMAConfig(num_bases=2, iterations=5, tau=1.0, form="literal"))
    emanet = ContextualEMA(4, ContextualEMAConfig(num_bases=2, iterations=5, tau=1.0))
    start = torch.tensor([[1.0, 0.3, 0, 0], [0.3, 1.0, 0, 0]])
    with torch.no_grad():
        literal.bases.copy_(start)
        emanet.bases.copy_(start)
    emanet.eval()
    lit, ema = literal(h), emanet(h)
    assert torch.allclose(lit["reestimated"].norm(dim=-1), torch.full((1, 2, 8), 40.0), atol=0.5)
    assert ema["reestimated"].norm(dim=-1).max() <= 1.0 + 1e-5
    unit = torch.nn.functional.normalize(means, dim=-1)
    assert torch.allclose(ema["bases"][0], unit, atol=1e-3)  # the normalised cluster means
    assert torch.equal(ema["responsibilities"].reshape(16, 2).argmax(-1), torch.arange(16) % 2)


def test_emanet_form_keeps_gradients_off_the_em_steps_and_maintains_bases_by_moving_average():
    h, _ = two_clusters()
    ema = ContextualEMA(4, ContextualEMAConfig(num_bases=2, iterations=3, tau=1.0, momentum=0.5))
    assert "bases" not in dict(ema.named_parameters()) and "bases" in dict(ema.named_buffers())
    x = h.clone().requires_grad_(True)
    ema.eval()
    before = ema.bases.clone()
    out = ema(x)
    assert not out["reestimated"].requires_grad and not out["bases"].requires_grad
    assert torch.equal(ema.bases, before)  # eval: no maintenance
    out["out"].sum().backward()
    assert x.grad is not None and ema.to_q.weight.grad.abs().sum() > 0  # identity + cross-attention
    ema.train()
    mu = ema(h)["bases"]
    expected = torch.nn.functional.normalize(0.5 * before + 0.5 * mu.mean(0), dim=-1)
    assert torch.allclose(ema.bases, expected, atol=1e-6)
    assert torch.allclose(ema.bases.norm(dim=-1), torch.ones(2))


def test_ema_form_is_validated():
    import pytest

    with pytest.raises(ValueError, match="form"):
        ContextualEMAConfig(form="normalised")
