"""Frame encoders: the pixel embedding, HF CLIP folders and open_clip checkpoints (tiny models built here)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cinescribe.errors import InputError
from cinescribe.features.encoders import BACKENDS, load_encoder, parse_spec
from cinescribe.features.encoders.clip import resize_centre_crop
from cinescribe.features.encoders.pixels import PixelEncoder

skimage_data = pytest.importorskip("skimage.data")


def _frames():
    astro = skimage_data.astronaut()  # (512, 512, 3)
    coffee = skimage_data.coffee()  # (400, 600, 3)
    return astro, np.ascontiguousarray(astro[8:500, 12:490]), coffee


# -- pixels ----------------------------------------------------------------------------

def test_pixel_embedding_shape_norm_and_similarity():
    enc = load_encoder("pixels")
    astro, astro_shifted, coffee = _frames()
    e = enc.encode_images([astro, astro_shifted, coffee])
    assert e.shape == (3, enc.dim) == (3, 168) and e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    same, other = float(e[0] @ e[1]), float(e[0] @ e[2])
    assert same > 0.95 and other < same - 0.2
    assert np.array_equal(e, PixelEncoder().encode_images([astro, astro_shifted, coffee]))
    assert enc.encode_images([]).shape == (0, 168)
    assert not hasattr(enc, "encode_texts")


def test_pixel_embedding_of_flat_frame_is_finite():
    e = PixelEncoder().encode_images([np.zeros((36, 64, 3), np.uint8), np.full((36, 64, 3), 200, np.uint8)])
    assert np.isfinite(e).all() and np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)


def test_bad_frames_and_specs_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="uint8"):
        PixelEncoder().encode_images([np.zeros((4, 4), np.float32)])
    with pytest.raises(InputError, match="unknown encoder 'clipzz'"):
        load_encoder("clipzz")
    with pytest.raises(InputError, match="needs a checkpoint path"):
        parse_spec("hf_clip")
    with pytest.raises(InputError, match="takes no checkpoint"):
        parse_spec("pixels:/x")
    with pytest.raises(InputError, match="no checkpoint"):
        load_encoder(f"hf_clip:{tmp_path / 'nothing'}")
    with pytest.raises(InputError, match="no checkpoint file"):
        load_encoder(f"open_clip:{tmp_path / 'nothing.pt'}")
    assert set(BACKENDS) >= {"pixels", "hf_clip", "open_clip"}


# -- tiny tokenizer + HF CLIP ------------------------------------------------------------

def _write_tokenizer(folder):
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    chars = list(bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)  # the highest id, as in CLIP
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tok = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    tok.save_pretrained(folder)
    return tok, len(vocab)


@pytest.fixture(scope="module")
def hf_clip_dir(tmp_path_factory):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    folder = tmp_path_factory.mktemp("hf_clip")
    _, vocab = _write_tokenizer(folder)
    torch.manual_seed(0)
    cfg = CLIPConfig(
        projection_dim=16,
        text_config=dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=24, eos_token_id=vocab - 1),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
    )
    model = CLIPModel(cfg).eval()
    model.save_pretrained(folder)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder, model


def test_hf_clip_reloads_to_identical_outputs(hf_clip_dir):
    folder, model = hf_clip_dir
    enc = load_encoder(f"hf_clip:{folder}")
    astro, _, coffee = _frames()
    images = enc.encode_images([astro, coffee])
    assert images.shape == (2, 16) and enc.dim == 16
    assert np.allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    pixels = enc.preprocess([astro, coffee])
    assert pixels.shape == (2, 3, 32, 32)
    with torch.inference_mode():  # the in-memory model that was saved, on the same pixels
        ref = model.visual_projection(model.vision_model(pixel_values=pixels).pooler_output)
    assert np.allclose(images, F.normalize(ref, dim=-1).numpy(), atol=1e-6)
    again = load_encoder(f"hf_clip:{folder}")
    assert np.array_equal(again.encode_images([astro, coffee]), images)
    assert again.weights_hash == enc.weights_hash and enc.id.startswith("hf_clip:")
    texts = enc.encode_texts(["a man in a spacesuit", "a cup of coffee", "x"])
    assert texts.shape == (3, 16)
    assert np.array_equal(again.encode_texts(["a man in a spacesuit", "a cup of coffee", "x"]), texts)
    assert np.allclose(enc.encode_texts(["a cup of coffee"]), texts[1:2], atol=1e-5)  # padding does not matter


def test_hf_clip_wrong_architecture_and_damage(tmp_path, hf_clip_dir):
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(InputError, match="holds a 'bert' model, not CLIP"):
        load_encoder(f"hf_clip:{bert}")
    empty = tmp_path / "noweights"
    empty.mkdir()
    (empty / "config.json").write_text((hf_clip_dir[0] / "config.json").read_text())
    with pytest.raises(InputError, match="has no weights"):
        load_encoder(f"hf_clip:{empty}")
    (empty / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(InputError, match="cannot load"):
        load_encoder(f"hf_clip:{empty}")


# -- open_clip ---------------------------------------------------------------------------

W, VL, TL, EMBED, PATCH, GRID, CTX = 128, 2, 2, 24, 8, 4, 16  # width 128 -> 2 heads of 64


def _tiny_open_clip(vocab: int, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)

    def r(*shape, s=0.05):
        return torch.randn(*shape, generator=g) * s

    sd = {
        "visual.class_embedding": r(W), "visual.conv1.weight": r(W, 3, PATCH, PATCH),
        "visual.positional_embedding": r(GRID * GRID + 1, W),
        "visual.ln_pre.weight": 1 + r(W), "visual.ln_pre.bias": r(W),
        "visual.ln_post.weight": 1 + r(W), "visual.ln_post.bias": r(W), "visual.proj": r(W, EMBED, s=0.2),
        "token_embedding.weight": r(vocab, W, s=0.2), "positional_embedding": r(CTX, W),
        "ln_final.weight": 1 + r(W), "ln_final.bias": r(W), "text_projection": r(W, EMBED, s=0.2),
        "logit_scale": torch.tensor(math.log(1 / 0.07)), "attn_mask": torch.full((CTX, CTX), float("-inf")).triu(1),
    }
    for prefix, layers in (("visual.transformer", VL), ("transformer", TL)):
        for i in range(layers):
            b = f"{prefix}.resblocks.{i}."
            sd.update({
                b + "ln_1.weight": 1 + r(W), b + "ln_1.bias": r(W), b + "ln_2.weight": 1 + r(W), b + "ln_2.bias": r(W),
                b + "attn.in_proj_weight": r(3 * W, W, s=0.1), b + "attn.in_proj_bias": r(3 * W),
                b + "attn.out_proj.weight": r(W, W, s=0.1), b + "attn.out_proj.bias": r(W),
                b + "mlp.c_fc.weight": r(4 * W, W, s=0.1), b + "mlp.c_fc.bias": r(4 * W),
                b + "mlp.c_proj.weight": r(W, 4 * W, s=0.1), b + "mlp.c_proj.bias": r(W),
            })
    return sd


def _reference_tower(sd, prefix, x, mask, act):
    """open_clip's residual attention blocks written out directly: x (batch, tokens, W)."""
    heads = W // 64
    i = 0
    while f"{prefix}.resblocks.{i}.ln_1.weight" in sd:
        b = f"{prefix}.resblocks.{i}."
        h = F.layer_norm(x, (W,), sd[b + "ln_1.weight"], sd[b + "ln_1.bias"], 1e-5)
        q, k, v = (h @ sd[b + "attn.in_proj_weight"].T + sd[b + "attn.in_proj_bias"]).chunk(3, dim=-1)
        split = lambda t: t.reshape(t.shape[0], t.shape[1], heads, 64).transpose(1, 2)  # (batch, heads, tokens, 64)
        att = (split(q) @ split(k).transpose(-1, -2)) / 8.0
        if mask is not None:
            att = att + mask
        o = (att.softmax(-1) @ split(v)).transpose(1, 2).reshape(x.shape)
        x = x + o @ sd[b + "attn.out_proj.weight"].T + sd[b + "attn.out_proj.bias"]
        h = F.layer_norm(x, (W,), sd[b + "ln_2.weight"], sd[b + "ln_2.bias"], 1e-5)
        h = act(h @ sd[b + "mlp.c_fc.weight"].T + sd[b + "mlp.c_fc.bias"])
        x = x + h @ sd[b + "mlp.c_proj.weight"].T + sd[b + "mlp.c_proj.bias"]
        i += 1
    return x


def _reference_image(sd, pixels, act):
    """open_clip VisionTransformer.forward: pixels (batch, 3, S, S) -> (batch, EMBED)."""
    x = F.conv2d(pixels, sd["visual.conv1.weight"], stride=PATCH).flatten(2).transpose(1, 2)  # (batch, 16, W)
    cls = sd["visual.class_embedding"].expand(x.shape[0], 1, W)
    x = torch.cat([cls, x], dim=1) + sd["visual.positional_embedding"]
    x = F.layer_norm(x, (W,), sd["visual.ln_pre.weight"], sd["visual.ln_pre.bias"], 1e-5)
    x = _reference_tower(sd, "visual.transformer", x, None, act)
    x = F.layer_norm(x[:, 0], (W,), sd["visual.ln_post.weight"], sd["visual.ln_post.bias"], 1e-5)
    return x @ sd["visual.proj"]


def _reference_text(sd, ids, act):
    """open_clip CLIP.encode_text: token ids (batch, n) -> (batch, EMBED), pooled at argmax id."""
    n = ids.shape[1]
    x = sd["token_embedding.weight"][ids] + sd["positional_embedding"][:n]
    x = _reference_tower(sd, "transformer", x, sd["attn_mask"][:n, :n], act)
    x = F.layer_norm(x, (W,), sd["ln_final.weight"], sd["ln_final.bias"], 1e-5)
    return x[torch.arange(len(ids)), ids.argmax(-1)] @ sd["text_projection"]


@pytest.fixture(scope="module")
def open_clip_ckpt(tmp_path_factory):
    folder = tmp_path_factory.mktemp("open_clip")
    tok, vocab = _write_tokenizer(folder)
    sd = _tiny_open_clip(vocab)
    torch.save({"epoch": 3, "state_dict": {"module." + k: v for k, v in sd.items()}}, folder / "tiny.pt")
    return folder / "tiny.pt", sd, tok


def test_open_clip_conversion_matches_direct_computation(open_clip_ckpt):
    path, sd, tok = open_clip_ckpt
    enc = load_encoder(f"open_clip:{path}")
    assert enc.dim == EMBED and enc.model.config.vision_config.num_attention_heads == 2
    astro, _, coffee = _frames()
    got = enc.encode_images([astro, coffee])
    pixels = torch.from_numpy(np.stack([resize_centre_crop(im, GRID * PATCH) for im in (astro, coffee)]))
    with torch.inference_mode():
        ref = F.normalize(_reference_image(sd, pixels, F.gelu), dim=-1).numpy()
    assert got.shape == (2, EMBED) and np.allclose(got, ref, atol=1e-5)

    texts = ["a cat", "the moon"]
    ids = torch.tensor(tok(texts, padding=True, truncation=True, max_length=CTX)["input_ids"])
    with torch.inference_mode():
        ref_t = F.normalize(_reference_text(sd, ids, F.gelu), dim=-1).numpy()
    assert np.allclose(enc.encode_texts(texts), ref_t, atol=1e-5)

    quick = load_encoder(f"open_clip-quickgelu:{path}")
    with torch.inference_mode():
        ref_q = F.normalize(_reference_image(sd, pixels, lambda x: x * torch.sigmoid(1.702 * x)), dim=-1).numpy()
    assert np.allclose(quick.encode_images([astro, coffee]), ref_q, atol=1e-5)
    assert not np.allclose(ref_q, ref, atol=1e-4) and quick.weights_hash != enc.weights_hash


def test_open_clip_safetensors_reload_is_identical(open_clip_ckpt, tmp_path):
    from safetensors.torch import save_file

    path, sd, _ = open_clip_ckpt
    st = tmp_path / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in sd.items()}, str(st))
    astro, _, coffee = _frames()
    a = load_encoder(f"open_clip:{path}").encode_images([astro, coffee])
    b = load_encoder(f"open_clip:{st}").encode_images([astro, coffee])
    assert np.array_equal(a, b)
    with pytest.raises(InputError, match="no tokenizer files"):
        load_encoder(f"open_clip:{st}").encode_texts(["a cat"])


def test_open_clip_preprocessing_is_resize_short_side_then_centre_crop():
    image = np.zeros((40, 80, 3), np.uint8)
    image[:, 30:50] = 255  # a white band in the middle survives the centre crop
    x = resize_centre_crop(image, 20)
    assert x.shape == (3, 20, 20)
    white = (1 - np.array([0.48145466, 0.4578275, 0.40821073])) / np.array([0.26862954, 0.26130258, 0.27577711])
    assert np.allclose(x[:, 10, 10], white, atol=1e-4)
    assert x[0, 10, 0] < 0  # the left edge of the crop is the dark part


@pytest.mark.parametrize("case,message", [
    ("resnet", "ResNet CLIP"), ("hf", "transformers CLIPModel"), ("partial", "no visual.proj"),
    ("extra", "does not"), ("garbage", "cannot read"),
])
def test_open_clip_wrong_architecture_is_one_line_error(open_clip_ckpt, tmp_path, case, message):
    _, sd, _ = open_clip_ckpt
    path = tmp_path / f"{case}.pt"
    if case == "resnet":
        torch.save({**sd, "visual.layer1.0.conv1.weight": torch.zeros(1)}, path)
    elif case == "hf":
        torch.save({"vision_model.embeddings.class_embedding": torch.zeros(4)}, path)
    elif case == "partial":
        torch.save({k: v for k, v in sd.items() if k != "visual.proj"}, path)
    elif case == "extra":
        torch.save({**sd, "visual.transformer.resblocks.0.ls_1.gamma": torch.ones(W)}, path)
    else:
        path.write_bytes(b"\x00\x01 not a checkpoint")
    with pytest.raises(InputError, match=message) as err:
        load_encoder(f"open_clip:{path}")
    assert "\n" not in str(err.value)


# -- perception ----------------------------------------------------------------------------

def test_perception_vector_known_value():
    from cinescribe.features.analysers.base import Detection, Face, FrameAnalysis, Pose, TextLine
    from cinescribe.features.encoders.perception import COCO, PerceptionEncoder, perception_vector

    fa = FrameAnalysis(t=0.0, objects=[Detection("cat", 0.9, (0, 0, 1, 1)), Detection("cat", 0.5, (0, 0, 1, 1))],
                       faces=[Face(0.8, (0, 0, 1, 1), "happy", 0.7)], poses=[Pose(0.9, {}, "standing")],
                       text=[TextLine("EXIT", 0.9, (0, 0, 1, 1))])
    v = perception_vector(fa)
    assert v.shape == (PerceptionEncoder.dim,) == (99,)
    expected = np.zeros(99, np.float32)
    expected[COCO.index("cat")] = 0.9
    expected[80 + 1] = 1.0  # one face
    expected[84 + 3] = 0.7  # happy
    expected[91] = 1.0  # standing
    expected[96:98] = [1.0, 0.2]  # text present, one line
    assert np.allclose(v, expected)
    assert perception_vector(FrameAnalysis(t=0.0))[-1] == 1.0  # nothing detected


def test_perception_encoder_caches_raw_results_per_frame(tmp_media, tmp_path, monkeypatch):
    from cinescribe.features import analysis_cache
    from cinescribe.features.analysers.base import Detection
    from cinescribe.features.analysis_cache import AnalysisCache, LazyAnalyser
    from cinescribe.features.store import FeatureStore

    calls = []

    class Fake:
        name, model_id = "human", "test/fake-human@1"

        def analyse(self, images, out):
            calls.extend(fa.t for fa in out)
            for fa in out:
                fa.objects = [Detection("person", 0.8, (0.1, 0.1, 0.5, 0.9))]

        def close(self):
            pass

    monkeypatch.setattr(analysis_cache, "lazy_default_analysers",
                        lambda **kw: [LazyAnalyser("human", Fake.model_id, Fake)])
    video = tmp_media("perception.mp4", shots=[("astronaut", 1.0), ("red", 1.0)], audio=False)
    store = FeatureStore(tmp_path)
    enc = load_encoder("perception")
    entry = store.extract(video.path, enc, fps=4, max_side=160)
    feats = entry.features()
    assert feats.shape == (8, 99) and len(calls) == 8
    assert np.allclose(feats[:, 0], 0.8 / np.sqrt(0.8**2 + 1))  # 'person' 0.8 and the 'no face' bucket
    cache = AnalysisCache(store, entry.manifest["video"]["fingerprint"], Fake.model_id, 160, "human")
    assert sorted(cache.records) == [round(t * 1000) for t in entry.times]
    enc.close()

