"""Perception analysers: models that measure frames and fill :class:`FrameAnalysis` fields."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import Analyser, FrameAnalysis

__all__ = ["Analyser", "FrameAnalysis", "analyse_frames", "default_analysers"]

BATCH = 8


def default_analysers(*, objects: bool = True, faces: bool = True, poses: bool = True, ocr: bool = True,
                      hands: bool = False, setting: bool = True) -> list[Analyser]:
    """The default perception models for the enabled measurements (loaded now, closed by the caller)."""
    found: list[Analyser] = []
    try:
        if objects or faces or poses or hands:
            from .human import HumanAnalyser

            found.append(HumanAnalyser(objects=objects, faces=faces, poses=poses, hands=hands))
        if ocr:
            from .ocr import OcrAnalyser

            found.append(OcrAnalyser())
        if setting:
            from .imagenet import ImageNetAnalyser

            found.append(ImageNetAnalyser())
    except BaseException:
        for a in found:
            a.close()
        raise
    return found


def analyse_frames(
    images: Sequence[np.ndarray], times: Sequence[float], analysers: Sequence[Analyser], *, batch: int = BATCH
) -> list[FrameAnalysis]:
    """Runs every analyser over the frames (in batches) and returns one FrameAnalysis per frame."""
    if len(images) != len(times):
        raise ValueError(f"{len(images)} images but {len(times)} times")
    out = [FrameAnalysis(t=float(t)) for t in times]
    for start in range(0, len(images), batch):
        chunk = list(images[start:start + batch])
        for analyser in analysers:
            analyser.analyse(chunk, out[start:start + batch])
    return out
