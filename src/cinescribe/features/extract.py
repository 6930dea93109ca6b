"""``cinescribe extract VIDEO``: frame features into the store (see :mod:`.store`)."""

from __future__ import annotations

import os
from pathlib import Path

from ..defaults import FEATURE_FPS, FEATURE_MAX_SIDE
from .encoders import load_encoder
from .store import FeatureStore


def run_extract(video: str | os.PathLike[str], *, encoder: str = "pixels", fps: float = FEATURE_FPS, max_side: int = FEATURE_MAX_SIDE,
                cache: str | os.PathLike[str] | None = None) -> dict:
    """Extract (or reuse) ``video``'s features; return a summary of the store entry.

    With ``encoder="perception"`` the perception models' per-frame results are cached
    too; ``describe`` reuses them when its ``--shot-fps`` and ``--max-side`` equal
    ``fps`` and ``max_side``.
    """
    store = FeatureStore(cache)
    enc = load_encoder(encoder)
    try:
        entry = store.extract(video, enc, fps=fps, max_side=max_side)
    finally:
        close = getattr(enc, "close", None)
        if close:
            close()
    summary = {
        "video": str(Path(video)),
        "entry": str(entry.folder),
        "encoder": entry.encoder_id,
        "frames": int(entry.manifest["shape"][0]),
        "dim": entry.dim,
        "fps": entry.fps,
        "shards": len(entry.manifest["shards"]),
    }
    return summary
