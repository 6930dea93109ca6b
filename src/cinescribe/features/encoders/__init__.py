"""Frame encoders behind one interface, chosen by a spec string (open_clip-style registry).

``load_encoder("pixels")``, ``load_encoder("imagenet")``, ``load_encoder("hf_clip:/models/clip")``,
``load_encoder("open_clip:/models/ViT-B-32.pt")``.  Every backend loads from local files
only; see :mod:`.base` for the interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ...errors import InputError
from .base import FrameEncoder, TextImageEncoder, l2_normalise

__all__ = ["BACKENDS", "FrameEncoder", "TextImageEncoder", "load_encoder", "l2_normalise", "parse_spec"]


@dataclass(frozen=True)
class Backend:
    """One registered backend: how to load it and whether it takes a checkpoint path."""

    load: Callable[..., FrameEncoder]
    needs_path: bool
    help: str


def _pixels(path: str | None = None, **kw) -> FrameEncoder:
    from .pixels import PixelEncoder

    return PixelEncoder()


def _perception(path: str | None = None, **kw) -> FrameEncoder:
    from .perception import PerceptionEncoder

    return PerceptionEncoder(**kw)


def _imagenet(path: str | None = None, **kw) -> FrameEncoder:
    from .imagenet import ImageNetEncoder

    return ImageNetEncoder()


def _hf_clip(path: str, **kw) -> FrameEncoder:
    from .hf_clip import load_hf_clip

    return load_hf_clip(path, **kw)


def _open_clip(path: str, **kw) -> FrameEncoder:
    from .open_clip import load_open_clip

    return load_open_clip(path, **kw)


def _open_clip_quick(path: str, **kw) -> FrameEncoder:
    from .open_clip import load_open_clip

    return load_open_clip(path, quick_gelu=True, **kw)


BACKENDS: dict[str, Backend] = {
    "pixels": Backend(_pixels, False, "appearance embedding from colour, light and edge layout (no model; default)"),
    "perception": Backend(_perception, False, "the describer's perception models (objects, faces, poses, text) as a "
                          "99-d vector; their per-frame results are cached for describe"),
    "imagenet": Backend(_imagenet, False, "the packaged ImageNet MobileNetV2's pooled features (1280-d): objects and "
                        "textures, a better frame embedding than pixels"),
    "hf_clip": Backend(_hf_clip, True, "hf_clip:FOLDER -- a transformers CLIPModel saved with save_pretrained"),
    "open_clip": Backend(_open_clip, True, "open_clip:FILE -- an open_clip ViT state dict (GELU)"),
    "open_clip-quickgelu": Backend(_open_clip_quick, True, "open_clip-quickgelu:FILE -- OpenAI-trained open_clip weights"),
}


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"name"`` or ``"name:path"`` -> ``(name, path or None)``, checked against :data:`BACKENDS`."""
    name, _, path = spec.strip().partition(":")
    choices = ", ".join(f"{n}:PATH" if b.needs_path else n for n, b in BACKENDS.items())
    if name not in BACKENDS:
        raise InputError(f"unknown encoder {name!r}; choose one of: {choices}")
    if BACKENDS[name].needs_path and not path:
        raise InputError(f"encoder {name!r} needs a checkpoint path: --encoder {name}:/path/to/checkpoint")
    if not BACKENDS[name].needs_path and path:
        raise InputError(f"encoder {name!r} takes no checkpoint path (got {path!r})")
    return name, path or None


def load_encoder(spec: str = "pixels", **options) -> FrameEncoder:
    """The encoder named by ``spec`` (see :func:`parse_spec`), loaded from local files."""
    name, path = parse_spec(spec)
    return BACKENDS[name].load(path, **options)
