"""Cross-attentive GRU stream classifier: masking, missing streams, heads, augmentation, checkpoints."""

from __future__ import annotations

import pytest
import torch

from cinescribe.models import StreamEncoder, StreamFusionConfig, StreamFusionModel, create_model

DIMS = {"video": 6, "image": 5, "text": 4}


def tiny(task: str = "multiclass", **extra) -> StreamFusionModel:
    torch.manual_seed(0)
    cfg = StreamFusionConfig(stream_dims=dict(DIMS), task=task, num_outputs=3, d_model=8, gru_hidden=6,
                             heads=2, dropout=0.0, **extra)
    return StreamFusionModel(cfg)


def inputs(b: int = 3) -> tuple[dict, dict]:
    torch.manual_seed(1)
    lengths = {"video": 5, "image": 4, "text": 3}
    streams = {s: torch.randn(b, lengths[s], d) for s, d in DIMS.items()}
    masks = {s: torch.ones(b, lengths[s], dtype=torch.bool) for s in DIMS}
    masks["video"][0, 3:] = False
    return streams, masks


def test_gru_encoder_ignores_padding_wherever_it_sits():
    torch.manual_seed(0)
    enc = StreamEncoder(4, 5, 6)
    x = torch.randn(2, 6, 4)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 0, 1, 1, 0, 1]], dtype=torch.bool)
    out = enc(x, mask)
    assert out.shape == (2, 6, 6) and out[~mask].abs().sum() == 0
    noisy = x.clone()
    noisy[~mask] = 99.0
    assert torch.allclose(enc(noisy, mask), out, atol=1e-6)
    alone = enc(x[:1, :4], torch.ones(1, 4, dtype=torch.bool))
    assert torch.allclose(out[0, :4], alone[0], atol=1e-6)  # padded batch == unpadded sequence
    holes = enc(x[1:, [0, 2, 3, 5]], torch.ones(1, 4, dtype=torch.bool))
    assert torch.allclose(out[1, [0, 2, 3, 5]], holes[0], atol=1e-6)  # masked gaps are skipped


def test_shapes_gradients_and_loss():
    model = tiny()
    streams, masks = inputs()
    result = model(streams, masks)
    assert result["output"].shape == (3, 3) and result["pooled"].shape == (3, 8)
    loss = model.loss(result, torch.tensor([0, 2, 1]))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_missing_stream_for_one_sample_equals_leaving_it_out():
    model = tiny().eval()
    streams, masks = inputs()
    masks["text"][1] = False
    full = model(streams, masks)["output"]
    without = model({s: streams[s][1:2] for s in ("video", "image")},
                    {s: masks[s][1:2] for s in ("video", "image")})["output"]
    assert torch.allclose(full[1], without[0], atol=1e-6)
    only_text = model({"text": streams["text"]}, {"text": masks["text"] | True})["output"]
    assert only_text.shape == (3, 3)
    masks = {s: torch.zeros_like(m) for s, m in masks.items()}
    with pytest.raises(ValueError, match="at least one stream"):
        model(streams, masks)


def test_regression_head_is_bounded_and_multilabel_loss_runs():
    model = tiny("regression").eval()
    streams, masks = inputs()
    out = model({s: 1e4 * x for s, x in streams.items()}, masks)["output"]
    assert out.abs().max() <= 1.0
    target = torch.zeros(3, 3)
    assert model.loss(model(streams, masks), target) > 0
    multilabel = tiny("multilabel")
    assert multilabel.loss(multilabel(streams, masks), torch.tensor([[1, 0, 1]] * 3)) > 0


def test_augmentation_keeps_one_stream_and_one_frame():
    model = tiny(noise_std=0.5, frame_drop=0.9, stream_drop=0.9)
    streams, masks = inputs(b=16)
    noisy, kept = model.augment(streams, masks)
    assert not torch.equal(noisy["video"], streams["video"])
    present = torch.stack([kept[s].any(1) for s in DIMS], 1)
    assert present.any(1).all() and (~present).any()  # some streams dropped, every sample keeps one
    for s in DIMS:
        assert not (kept[s] & ~masks[s]).any()  # never revives padding
    model.train()
    assert model(streams, masks)["recon_loss"] > 0
    model.eval()
    assert torch.equal(model(streams, masks)["output"], model(streams, masks)["output"])


def test_save_pretrained_round_trip_and_registry(tmp_path):
    model = tiny().eval()
    streams, masks = inputs()
    model.save_pretrained(tmp_path / "clf")
    loaded = StreamFusionModel.from_pretrained(tmp_path / "clf").eval()
    assert torch.equal(loaded(streams, masks)["output"], model(streams, masks)["output"])
    assert create_model("valence-arousal", {"d_model": 16, "heads": 2}).config.task == "regression"
