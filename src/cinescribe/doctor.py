"""``cinescribe doctor``: is every tool and model the default pipeline uses installed here?"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Iterator

NODE_DIR = Path(__file__).resolve().parents[2] / "node"


def _module(name: str) -> tuple[bool, str]:
    spec = importlib.util.find_spec(name)
    return (spec is not None, spec.origin if spec and spec.origin else "not installed")


def run_checks() -> Iterator[tuple[str, bool, str]]:
    """Yield ``(name, ok, detail)`` for each requirement."""
    for tool, why in (("ffmpeg", "demo video and benchmarks"), ("espeak-ng", "demo speech"), ("node", "perception worker")):
        path = shutil.which(tool)
        yield tool, path is not None, path or f"not on PATH ({why}); apt-get install {tool if tool != 'node' else 'nodejs'}"
    models = NODE_DIR / "node_modules" / "@vladmandic" / "human-models" / "models"
    yield "human-models", models.is_dir(), str(models) if models.is_dir() else "run `make setup` (npm ci in node/)"
    for module in ("av", "torch", "silero_vad", "rapidocr_onnxruntime", "cv2", "onnxruntime"):
        ok, detail = _module(module)
        yield module, ok, detail
