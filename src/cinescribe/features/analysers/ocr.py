"""On-screen text with RapidOCR (PP-OCRv4 detection + recognition ONNX models inside the wheel)."""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from ...errors import InputError, MissingDependencyError
from .base import FrameAnalysis, TextLine

RAPIDOCR_VERSION = "1.4.4"
# Text detection sees the frame as it comes, its longer side at most DET_SIDE px.  RapidOCR's
# default scales the *shorter* side up to 736 px (a 640x360 frame to 1308x736): 5 to 30 times slower
# on 2 cores, for text under 12 px tall only (benchmarks/bench_ocr.py).
DET_SIDE = 640
MODEL_ID = (
    f"rapidocr-onnxruntime@{RAPIDOCR_VERSION}/"
    f"ch_PP-OCRv4_det_infer(longer side <= {DET_SIDE})+ch_ppocr_mobile_v2.0_cls_infer+ch_PP-OCRv4_rec_infer"
)


def restore_spaces(text: str, char_boxes, gap: float = 0.7) -> str:
    """Puts back word spaces the recogniser dropped.

    PP-OCRv4's (Chinese+Latin) recogniser often reads ``THE END`` as ``THEEND``.  With
    ``return_word_box`` RapidOCR gives one box per character; a horizontal gap between two
    alphanumeric characters wider than ``gap`` times the median character width is a space.
    The boxes come from the recogniser's time steps and are noisy (``demo`` can show a wide
    gap before ``m``), so a line in which the recogniser already read a space is trusted as it
    is, and a space that would leave a one-character fragment is not inserted.
    """
    if not char_boxes or len(char_boxes) != len(text) or len(text) < 2 or " " in text.strip():
        return text
    try:
        xs = [(min(p[0] for p in b), max(p[0] for p in b)) for b in char_boxes]
    except (TypeError, IndexError, ValueError):
        return text
    widths = sorted(x1 - x0 for (x0, x1), c in zip(xs, text) if c != " " and x1 > x0)
    if not widths:
        return text
    median = widths[len(widths) // 2]
    cuts = [i for i in range(1, len(text))
            if text[i - 1].isalnum() and text[i].isalnum() and xs[i][0] - xs[i - 1][1] > gap * median]
    out, last = [], 0
    for i in cuts:
        left = text[last:i].split(" ")[-1]
        right = text[i:].split(" ")[0]
        if len(left) >= 2 and len(right) >= 2:
            out.append(text[last:i] + " ")
            last = i
    out.append(text[last:])
    return "".join(out)


class OcrAnalyser:
    """Reads lines of text; keeps those with confidence >= ``min_score`` that are not tiny junk."""

    name = "ocr"
    model_id = MODEL_ID

    def __init__(self, *, min_score: float = 0.7, min_height: float = 0.015, min_chars: int = 2, space_gap: float = 0.7):
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as e:  # missing wheel, or libGL missing for opencv-python
            raise MissingDependencyError(
                f"OCR needs rapidocr-onnxruntime ({e}); run `make setup` (on Debian/Ubuntu also `apt-get install libgl1`)"
            ) from None
        # RapidOCR logs every call at INFO; keep it quiet
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        self._engine = RapidOCR(det_limit_type="max", det_limit_side_len=DET_SIDE)
        self.min_score = min_score
        self.min_height = min_height
        self.min_chars = min_chars
        self.space_gap = space_gap

    def read(self, image: np.ndarray) -> list[TextLine]:
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"a frame must be an (H, W, 3) uint8 RGB array, not {image.shape} {image.dtype}")
        h, w = image.shape[:2]
        bgr = np.ascontiguousarray(image[:, :, ::-1])  # RapidOCR follows OpenCV's BGR order
        result, _ = self._engine(bgr, return_word_box=True)
        lines: list[TextLine] = []
        for item in result or []:
            quad, text, score = item[:3]
            text = restore_spaces(str(text), item[3] if len(item) > 3 else None, self.space_gap)
            text = " ".join(text.split())
            score = float(score)
            pts = np.asarray(quad, dtype=float)
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            box = (max(0.0, x0 / w), max(0.0, y0 / h), min(1.0, x1 / w), min(1.0, y1 / h))
            alnum = sum(c.isalnum() for c in text)
            if score < self.min_score or alnum < self.min_chars or (box[3] - box[1]) < self.min_height:
                continue
            lines.append(TextLine(text, round(score, 4), tuple(round(v, 4) for v in box)))
        lines.sort(key=lambda t: (round(t.box[1], 2), t.box[0]))  # reading order
        return lines

    def analyse(self, images: Sequence[np.ndarray], out: Sequence[FrameAnalysis]) -> None:
        if len(images) != len(out):
            raise ValueError(f"{len(images)} images but {len(out)} FrameAnalysis objects")
        for image, fa in zip(images, out):
            fa.text = self.read(image)

    def close(self) -> None:
        self._engine = None
