"""``hf_clip:FOLDER``: a transformers ``CLIPModel`` saved with ``save_pretrained``, loaded offline.

The folder must hold ``config.json`` (``model_type: clip``) and the weights
(``*.safetensors`` or ``pytorch_model*.bin``).  Images are preprocessed by the folder's
``preprocessor_config.json`` (CLIPImageProcessor, PIL backend: no torchvision); without
one, open_clip/OpenAI defaults at the model's image size are used and a warning says so.
Texts need the folder's tokenizer files.  Every weight of the model must be in the
checkpoint: a missing or mis-shaped tensor is an error, never a random initialisation.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch

from ...errors import InputError
from .base import hash_files
from .clip import ClipEncoder, resize_centre_crop

log = logging.getLogger("cinescribe.features")

TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json")


def quiet_transformers() -> None:
    """No progress bars or info chatter from transformers while loading."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def checkpoint_folder(path: str | Path, backend: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"{backend}: no checkpoint at {p}; give the folder written by save_pretrained")
    if not p.is_dir():
        raise InputError(f"{backend}: {p} is a file; give the folder holding config.json and the weights "
                         "(an open_clip .pt/.safetensors file loads with open_clip:PATH)")
    cfg = p / "config.json"
    if not cfg.is_file():
        raise InputError(f"{backend}: {p} has no config.json; it is not a transformers checkpoint folder")
    try:
        model_type = json.loads(cfg.read_text(encoding="utf-8")).get("model_type")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        raise InputError(f"{backend}: {cfg} is not valid JSON; the checkpoint is damaged") from None
    if model_type != "clip":
        raise InputError(f"{backend}: {p} holds a {model_type!r} model, not CLIP; give a transformers CLIPModel checkpoint")
    return p


def load_hf_clip(path: str | Path, *, batch_size: int = 32) -> ClipEncoder:
    """A :class:`ClipEncoder` from a local CLIPModel folder; see the module docstring."""
    p = checkpoint_folder(path, "hf_clip")
    weights = sorted(p.glob("*.safetensors")) or sorted(p.glob("pytorch_model*.bin"))
    if not weights:
        raise InputError(f"hf_clip: {p} has no weights (*.safetensors or pytorch_model*.bin)")
    quiet_transformers()
    from transformers import AutoTokenizer, CLIPModel

    try:
        model, info = CLIPModel.from_pretrained(p, local_files_only=True, output_loading_info=True)
    except Exception as e:  # torch, safetensors and transformers raise many kinds for a damaged file
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"hf_clip: cannot load {p} ({reason[:200]}); the checkpoint is damaged or not CLIP") from None
    missing = list(info.get("missing_keys") or []) + list(info.get("mismatched_keys") or [])
    if missing:
        raise InputError(f"hf_clip: {p} lacks {len(missing)} CLIP weights (e.g. {missing[0]}); "
                         "the checkpoint is incomplete or of another architecture")
    model.float()
    preprocess_files = [p / "preprocessor_config.json"] if (p / "preprocessor_config.json").is_file() else []
    if preprocess_files:
        processor = _image_processor(p)

        def preprocess(images):
            return processor(images=list(images), return_tensors="pt")["pixel_values"].float()
    else:
        size = int(model.config.vision_config.image_size)
        log.warning(f"hf_clip: {p} has no preprocessor_config.json; using OpenAI CLIP preprocessing at {size} px")

        def preprocess(images):
            return torch.from_numpy(np.stack([resize_centre_crop(im, size) for im in images]))
    tokenizer = None
    if (p / "tokenizer.json").is_file() or (p / "vocab.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(p, local_files_only=True)
    digest = hash_files([*weights, p / "config.json", *preprocess_files])
    return ClipEncoder(f"hf_clip:{p.resolve()}", model, preprocess, tokenizer, digest, batch_size=batch_size)


def _image_processor(p: Path):
    try:  # the PIL implementation: the default one needs torchvision
        from transformers import CLIPImageProcessorPil as Processor
    except ImportError:
        from transformers import CLIPImageProcessor as Processor
    return Processor.from_pretrained(p, local_files_only=True)
