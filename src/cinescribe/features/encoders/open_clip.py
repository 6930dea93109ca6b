"""``open_clip:CHECKPOINT``: an open_clip ViT CLIP state dict, converted to a transformers CLIPModel.

open_clip itself needs torchvision, so its checkpoints (``.pt``/``.bin`` state dicts,
``.safetensors``, optionally wrapped in ``{"state_dict": ...}`` with ``module.``
prefixes) are read here and their tensors moved into an equivalent :class:`CLIPModel`
whose configuration is inferred from the tensor shapes:

* vision: ``visual.conv1.weight (width, 3, patch, patch)``, ``visual.positional_embedding
  (grid**2 + 1, width)`` -> image size ``grid * patch``; layers = number of
  ``visual.transformer.resblocks.N``; MLP size from ``mlp.c_fc.weight``;
* text: ``token_embedding.weight (vocab, width)``, ``positional_embedding (context, width)``;
* ``text_projection (width, embed_dim)`` and ``visual.proj (width, embed_dim)``.

Each block's fused ``attn.in_proj_weight (3 * width, width)`` is split into q, k, v.
Head counts are not visible in the shapes: open_clip's default head width of 64 is used
(heads = width // 64) unless an ``open_clip_config.json`` beside the checkpoint says
otherwise.  The activation is GELU, or QuickGELU for the ``open_clip-quickgelu`` backend
(OpenAI's original weights) or when the config says ``quick_gelu``.  Text pooling takes
the features at the highest token id (the end-of-text token), as open_clip does.

Preprocessing is open_clip's eval transform (:func:`~.clip.resize_centre_crop`) with the
OpenAI mean/std, or those of the config's ``preprocess_cfg``.  Only plain ViT towers
convert; ResNet, timm and attention-pool towers give a one-line error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Mapping

import numpy as np
import torch

from ...errors import InputError
from .base import hash_files
from .clip import OPENAI_MEAN, OPENAI_STD, ClipEncoder, resize_centre_crop
from .hf_clip import quiet_transformers

HEAD_WIDTH = 64
_BLOCK = re.compile(r"^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)$")
_BLOCK_MAP = {
    "ln_1.weight": "layer_norm1.weight", "ln_1.bias": "layer_norm1.bias",
    "ln_2.weight": "layer_norm2.weight", "ln_2.bias": "layer_norm2.bias",
    "attn.out_proj.weight": "self_attn.out_proj.weight", "attn.out_proj.bias": "self_attn.out_proj.bias",
    "mlp.c_fc.weight": "mlp.fc1.weight", "mlp.c_fc.bias": "mlp.fc1.bias",
    "mlp.c_proj.weight": "mlp.fc2.weight", "mlp.c_proj.bias": "mlp.fc2.bias",
}
_REQUIRED = ("visual.conv1.weight", "visual.class_embedding", "visual.positional_embedding", "visual.ln_pre.weight",
             "visual.ln_post.weight", "visual.proj", "token_embedding.weight", "positional_embedding",
             "ln_final.weight", "text_projection")
_IGNORED = ("attn_mask", "logit_bias")


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of an open_clip checkpoint file, unwrapped and without ``module.`` prefixes."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(path))
        else:
            sd = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:  # any unreadable file: torch/safetensors raise many kinds
        raise InputError(f"open_clip: cannot read {path} as a checkpoint ({type(e).__name__}); "
                         "give an open_clip .pt, .bin or .safetensors state dict") from None
    for key in ("state_dict", "model"):
        if isinstance(sd, Mapping) and isinstance(sd.get(key), Mapping):
            sd = sd[key]
    if not isinstance(sd, Mapping) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise InputError(f"open_clip: {path} is not a state dict of tensors")
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in sd.items()}


def _layers(sd: Mapping[str, torch.Tensor], prefix: str) -> int:
    found = {int(m.group(2)) for k in sd if (m := _BLOCK.match(k)) and (m.group(1) or "") == prefix}
    if found != set(range(len(found))):
        raise InputError(f"open_clip: resblocks {sorted(found)} of the {prefix or 'text'} tower are not numbered 0..n-1")
    return len(found)


def check_architecture(sd: Mapping[str, torch.Tensor], path: Path) -> None:
    """Raise a one-line :class:`InputError` unless ``sd`` is a plain open_clip ViT CLIP."""
    if any(k.startswith(("vision_model.", "text_model.")) for k in sd):
        raise InputError(f"open_clip: {path} is a transformers CLIPModel state dict; load its folder with hf_clip:FOLDER")
    if "visual.layer1.0.conv1.weight" in sd or "visual.attnpool.positional_embedding" in sd:
        raise InputError(f"open_clip: {path} is a ResNet CLIP; only ViT CLIP checkpoints are supported")
    if any(k.startswith(("visual.trunk.", "text.transformer.")) for k in sd):
        raise InputError(f"open_clip: {path} has a timm or HF tower; only plain ViT CLIP checkpoints are supported")
    missing = [k for k in _REQUIRED if k not in sd]
    if missing:
        raise InputError(f"open_clip: {path} is not an open_clip ViT CLIP checkpoint (no {missing[0]})")


def infer_config(sd: Mapping[str, torch.Tensor], *, quick_gelu: bool = False, model_cfg: Mapping | None = None):
    """A :class:`transformers.CLIPConfig` equivalent to the open_clip tensors in ``sd``."""
    from transformers import CLIPConfig

    model_cfg = model_cfg or {}
    vcfg, tcfg = model_cfg.get("vision_cfg", {}), model_cfg.get("text_cfg", {})
    conv = sd["visual.conv1.weight"]
    vwidth, patch = int(conv.shape[0]), int(conv.shape[2])
    grid = int(round((sd["visual.positional_embedding"].shape[0] - 1) ** 0.5))
    twidth = int(sd["token_embedding.weight"].shape[1])
    embed_dim = int(sd["text_projection"].shape[1])
    if sd["visual.proj"].shape != (vwidth, embed_dim) or sd["text_projection"].shape[0] != twidth:
        raise InputError("open_clip: visual.proj and text_projection do not agree on the embedding size")
    act = "quick_gelu" if quick_gelu or model_cfg.get("quick_gelu") else "gelu"
    vheads = vwidth // int(vcfg.get("head_width", HEAD_WIDTH))
    theads = int(tcfg.get("heads", max(1, twidth // HEAD_WIDTH)))
    return CLIPConfig(
        projection_dim=embed_dim,
        vision_config=dict(hidden_size=vwidth, patch_size=patch, image_size=grid * patch,
                           num_hidden_layers=_layers(sd, "visual."), num_attention_heads=vheads,
                           intermediate_size=int(sd["visual.transformer.resblocks.0.mlp.c_fc.weight"].shape[0]),
                           hidden_act=act, layer_norm_eps=1e-5),
        text_config=dict(hidden_size=twidth, vocab_size=int(sd["token_embedding.weight"].shape[0]),
                         max_position_embeddings=int(sd["positional_embedding"].shape[0]),
                         num_hidden_layers=_layers(sd, ""), num_attention_heads=theads,
                         intermediate_size=int(sd["transformer.resblocks.0.mlp.c_fc.weight"].shape[0]),
                         hidden_act=act, layer_norm_eps=1e-5, eos_token_id=2),  # 2: pool at argmax(token id)
    )


def convert_state_dict(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """open_clip tensor names and layouts -> transformers CLIPModel ones (see the module docstring)."""
    out: dict[str, torch.Tensor] = {}
    used: set[str] = set()

    def put(src: str, dst: str, fn=lambda t: t) -> None:
        out[dst] = fn(sd[src]).contiguous()
        used.add(src)

    put("visual.class_embedding", "vision_model.embeddings.class_embedding")
    put("visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight")
    put("visual.positional_embedding", "vision_model.embeddings.position_embedding.weight")
    for a, b in (("ln_pre", "pre_layrnorm"), ("ln_post", "post_layernorm")):
        put(f"visual.{a}.weight", f"vision_model.{b}.weight")
        put(f"visual.{a}.bias", f"vision_model.{b}.bias")
    put("visual.proj", "visual_projection.weight", lambda t: t.T)
    put("token_embedding.weight", "text_model.embeddings.token_embedding.weight")
    put("positional_embedding", "text_model.embeddings.position_embedding.weight")
    put("ln_final.weight", "text_model.final_layer_norm.weight")
    put("ln_final.bias", "text_model.final_layer_norm.bias")
    put("text_projection", "text_projection.weight", lambda t: t.T)
    if "logit_scale" in sd:
        put("logit_scale", "logit_scale", lambda t: t.reshape(()))
    for key in sd:
        m = _BLOCK.match(key)
        if not m:
            continue
        tower = "vision_model" if m.group(1) else "text_model"
        base = f"{tower}.encoder.layers.{m.group(2)}."
        rest = m.group(3)
        if rest in ("attn.in_proj_weight", "attn.in_proj_bias"):
            kind = "weight" if rest.endswith("weight") else "bias"
            for name, part in zip(("q_proj", "k_proj", "v_proj"), sd[key].chunk(3, dim=0)):
                out[f"{base}self_attn.{name}.{kind}"] = part.contiguous()
            used.add(key)
        elif rest in _BLOCK_MAP:
            put(key, base + _BLOCK_MAP[rest])
    unknown = sorted(k for k in sd if k not in used and k not in _IGNORED)
    if unknown:
        raise InputError(f"open_clip: the checkpoint has tensors a plain ViT CLIP does not (e.g. {unknown[0]}); "
                         "this architecture is not supported")
    return out


def _sidecar_config(path: Path) -> dict:
    cfg = path.parent / "open_clip_config.json"
    if not cfg.is_file():
        return {}
    try:
        return json.loads(cfg.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"open_clip: {cfg} is not valid JSON") from None


def load_open_clip(path: str | Path, *, quick_gelu: bool = False, batch_size: int = 32) -> ClipEncoder:
    """A :class:`ClipEncoder` from an open_clip checkpoint file; see the module docstring."""
    p = Path(path).expanduser()
    backend = "open_clip-quickgelu" if quick_gelu else "open_clip"
    if not p.is_file():
        raise InputError(f"{backend}: no checkpoint file at {p}; give the path of an open_clip .pt/.bin/.safetensors")
    sd = read_state_dict(p)
    check_architecture(sd, p)
    sidecar = _sidecar_config(p)
    quiet_transformers()
    from transformers import AutoTokenizer, CLIPModel

    config = infer_config(sd, quick_gelu=quick_gelu, model_cfg=sidecar.get("model_cfg"))
    converted = convert_state_dict(sd)
    model = CLIPModel(config)
    result = model.load_state_dict(converted, strict=False, assign=True)  # no second copy
    missing = [k for k in result.missing_keys if not k.endswith("position_ids")]
    if missing or result.unexpected_keys:
        raise InputError(f"open_clip: {p} does not fill a CLIP model (missing {missing[:1]}, "
                         f"unexpected {result.unexpected_keys[:1]}); this architecture is not supported")
    model.float()
    pcfg = sidecar.get("preprocess_cfg", {})
    mean, std = tuple(pcfg.get("mean", OPENAI_MEAN)), tuple(pcfg.get("std", OPENAI_STD))
    size = int(config.vision_config.image_size)

    def preprocess(images):
        return torch.from_numpy(np.stack([resize_centre_crop(im, size, mean, std) for im in images]))

    tokenizer = None
    if (p.parent / "tokenizer.json").is_file() or (p.parent / "vocab.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(p.parent, local_files_only=True)
    digest = hash_files([p], f"act={config.vision_config.hidden_act}", json.dumps(sidecar, sort_keys=True))
    return ClipEncoder(f"{backend}:{p.resolve()}", model, preprocess, tokenizer, digest, batch_size=batch_size)
