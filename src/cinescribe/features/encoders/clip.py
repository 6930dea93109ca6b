"""A CLIP-like image-text encoder around a ``transformers`` :class:`CLIPModel`.

Both CLIP backends end here: ``hf_clip`` loads a CLIPModel folder directly, ``open_clip``
converts an open_clip state dict into one.  Images go through the checkpoint's own
preprocessing (a callable ``list[(H, W, 3) uint8] -> (batch, 3, S, S) float32``), texts
through the checkpoint's tokenizer.  Outputs are the projected embeddings, L2-normalised:
images ``(n, projection_dim)``, texts ``(m, projection_dim)`` -- cosine similarity of the
two is CLIP's image-text score (before ``logit_scale``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image

from ...errors import InputError
from .base import batches, check_frames, l2_normalise, set_torch_threads

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)

Preprocess = Callable[[Sequence[np.ndarray]], torch.Tensor]


def resize_centre_crop(image: np.ndarray, size: int, mean: Sequence[float] = OPENAI_MEAN,
                       std: Sequence[float] = OPENAI_STD) -> np.ndarray:
    """open_clip's eval transform for one RGB ``(H, W, 3) uint8`` image -> ``(3, size, size)``.

    Bicubic resize of the shorter side to ``size`` (the longer side to
    ``int(size * long / short)``, as torchvision computes it), centre crop of
    ``size x size`` (offsets rounded like torchvision's ``CenterCrop``), scale to [0, 1],
    then ``(x - mean) / std`` per channel.
    """
    h, w = image.shape[:2]
    if w <= h:
        nw, nh = size, int(size * h / w)
    else:
        nw, nh = int(size * w / h), size
    pil = Image.fromarray(image)
    if (nw, nh) != (w, h):
        pil = pil.resize((nw, nh), Image.Resampling.BICUBIC)
    top = int(round((nh - size) / 2.0))
    left = int(round((nw - size) / 2.0))
    x = np.asarray(pil, dtype=np.float32)[top:top + size, left:left + size] / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


class ClipEncoder:
    """Frames and texts into one embedding space with a transformers ``CLIPModel``."""

    def __init__(self, id: str, model, preprocess: Preprocess, tokenizer, weights_hash: str,
                 *, batch_size: int = 32) -> None:
        set_torch_threads()
        self.id = id
        self.model = model.eval()
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        self.weights_hash = weights_hash
        self.batch_size = batch_size
        self.dim = int(model.config.projection_dim)
        self.context_length = int(model.config.text_config.max_position_embeddings)

    def encode_images(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """``(n, dim)`` unit-length image embeddings of RGB frames ``(H, W, 3) uint8``."""
        images = check_frames(frames)
        out = [np.zeros((0, self.dim), np.float32)]
        with torch.inference_mode():
            for chunk in batches(images, self.batch_size):
                pixels = self.preprocess(chunk)  # (batch, 3, S, S)
                pooled = self.model.vision_model(pixel_values=pixels).pooler_output  # (batch, width)
                out.append(self.model.visual_projection(pooled).float().numpy())  # (batch, dim)
        return l2_normalise(np.concatenate(out))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """``(m, dim)`` unit-length text embeddings in the images' space."""
        if self.tokenizer is None:
            raise InputError(f"{self.id}: this checkpoint has no tokenizer files (vocab.json + merges.txt or "
                             "tokenizer.json) beside it, so it cannot embed text; copy them next to the weights")
        texts = list(texts)
        out = [np.zeros((0, self.dim), np.float32)]
        with torch.inference_mode():
            for chunk in batches(texts, self.batch_size):
                tok = self.tokenizer(list(chunk), padding=True, truncation=True, max_length=self.context_length,
                                     return_tensors="pt")
                pooled = self.model.text_model(input_ids=tok["input_ids"],
                                               attention_mask=tok.get("attention_mask")).pooler_output  # (m, width)
                out.append(self.model.text_projection(pooled).float().numpy())  # (m, dim)
        return l2_normalise(np.concatenate(out))

    def close(self) -> None:
        self.model = None
