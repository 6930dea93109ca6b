"""Checkpoint folders: ``config.json`` + ``model.safetensors``, written atomically.

``save_pretrained`` / ``from_pretrained`` of every model in this package go through these
two functions, so a checkpoint written by one model kind is refused by another with a
clear error instead of a shape mismatch deep inside torch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from ..atomic import atomic_path, write_json
from ..errors import InputError

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


def save_checkpoint(directory: str | Path, kind: str, config: dict[str, Any],
                    state: dict[str, torch.Tensor]) -> Path:
    """Write ``state`` and ``{"kind": kind, "config": config}`` into ``directory``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    # clone: tied weights (an LM's input and output embeddings) share storage, which safetensors refuses
    tensors = {k: v.detach().cpu().clone().contiguous() for k, v in state.items()}
    with atomic_path(folder / WEIGHTS_NAME) as tmp:
        save_file(tensors, str(tmp), metadata={"kind": kind})
    write_json(folder / CONFIG_NAME, {"kind": kind, "config": config})
    return folder


def read_config(directory: str | Path, kind: str) -> dict[str, Any]:
    """The config of a folder written by :func:`save_checkpoint` for ``kind``, without its weights."""
    folder = Path(directory)
    config_path, weights_path = folder / CONFIG_NAME, folder / WEIGHTS_NAME
    if not config_path.is_file() or not weights_path.is_file():
        raise InputError(f"{folder} is not a cinescribe checkpoint: it needs {CONFIG_NAME} and {WEIGHTS_NAME}")
    try:
        meta = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{config_path} is not valid JSON ({exc}); save the checkpoint again") from None
    if not isinstance(meta, dict) or meta.get("kind") != kind or not isinstance(meta.get("config"), dict):
        found = meta.get("kind") if isinstance(meta, dict) else None
        raise InputError(f"{folder} holds a '{found}' checkpoint, expected '{kind}'")
    return meta["config"]


def load_checkpoint(directory: str | Path, kind: str) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read a folder written by :func:`save_checkpoint`; returns ``(config, state)``."""
    config = read_config(directory, kind)
    weights_path = Path(directory) / WEIGHTS_NAME
    try:
        state = load_file(str(weights_path))
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise InputError(f"{weights_path} cannot be read ({exc}); save the checkpoint again") from None
    return config, state
