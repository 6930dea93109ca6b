"""What the perception models measure in one frame, and the interface every analyser implements.

Boxes are ``(x0, y0, x1, y1)`` normalised to ``[0, 1]`` of the frame's width and height,
so that facts do not depend on the decode resolution.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol, Sequence

import numpy as np

Box = tuple[float, float, float, float]

# Revision of the analysers' own post-processing (OCR spacing, posture rules, thresholds): part of
# every cached analysis's key, so that a change here is never hidden by an earlier run's cache.
ANALYSIS_REVISION = 7

# The labels the object and expression models give (COCO's 80 classes; FER's 7 expressions).
COCO = ("person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
        "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
        "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
        "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
        "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
        "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
        "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
        "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
        "teddy bear", "hair drier", "toothbrush")
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``x0 y0 x1 y1`` boxes (0 when they do not meet)."""
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1]) + max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Detection:
    """One detected object: a COCO class name, detector confidence and box."""

    label: str
    score: float
    box: Box


@dataclass(frozen=True)
class Face:
    """One detected face; ``expression`` is one of the emotion model's classes or None.

    With identity measured: ``descriptor`` is the face's unit-length identity vector ``(1024,)``
    packed by :func:`.vectors.pack` (float16, base64), ``gender`` ("female"/"male") with
    ``gender_score`` in [0, 1], ``age`` the model's age bin (recorded, too unreliable to say);
    ``torso_rgb`` is the colour most of the torso's pixels are named by, if a clear majority
    (:func:`.appearance.majority_rgb`), ``hair_rgb`` the median colour above the face (0-255).
    """

    score: float
    box: Box
    expression: str | None = None
    expression_score: float | None = None
    descriptor: str | None = None
    gender: str | None = None
    gender_score: float | None = None
    age: int | None = None
    torso_rgb: tuple[int, int, int] | None = None
    hair_rgb: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class Pose:
    """One person's body pose: keypoints ``name -> (x, y, score)`` and a coarse posture word."""

    score: float
    keypoints: dict[str, tuple[float, float, float]]
    posture: str | None = None
    box: Box | None = None


@dataclass(frozen=True)
class Hand:
    """One detected hand: ``label`` is the hand-tracking model's class (``"hand"`` open, ``"fist"``)."""

    label: str
    score: float
    box: Box


@dataclass(frozen=True)
class TextLine:
    """One line of on-screen text read by OCR."""

    text: str
    score: float
    box: Box


@dataclass(frozen=True)
class PixelStats:
    """Whole-frame measurements: brightness and colour, and motion against the previous frame.

    ``brightness`` is mean luma in [0, 1]; ``colourfulness`` is Hasler-Suesstrunk's metric
    scaled to [0, 1]; ``hue`` is the dominant hue's name or None for a grey frame;
    ``motion`` is the mean absolute luma change in [0, 1] after compensating the global
    shift ``shift`` (dx, dy in frame widths/heights per second) found by phase correlation.
    ``green_ground`` is the share of the frame's lower half covered by vegetation green and
    ``green_texture`` the mean absolute Laplacian of luma over all green pixels (low for a
    lawn seen from afar, high for foliage with light between the leaves).
    """

    brightness: float
    colourfulness: float
    hue: str | None
    motion: float | None = None
    shift: tuple[float, float] | None = None
    green_ground: float | None = None
    green_texture: float | None = None


@dataclass(frozen=True)
class Label:
    """One image-level class: its name (ImageNet-1k) and the classifier's probability."""

    label: str
    score: float


@dataclass(frozen=True)
class Region:
    """ImageNet classes of one part of a frame: ``source`` says which detection the crop was cut
    around (``"hand"``, or the COCO class of an object box), ``box`` is that detection's box and
    ``labels`` the crop's most probable classes, most probable first."""

    source: str
    box: Box
    labels: list[Label]


@dataclass
class FrameAnalysis:
    """Everything measured in one frame at time ``t`` (seconds).

    ``objects`` are the object detector's boxes at the analyser's floor (0.3 by default);
    ``weak_objects`` its non-person boxes under that floor down to the worker's own (0.2), kept
    only to find what a hand carries (:mod:`cinescribe.describe.tracks`): ``box.mp4``'s box
    reads as book, cake or suitcase at 0.20-0.30 in the frames where its hand is found."""

    t: float
    objects: list[Detection] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)
    poses: list[Pose] = field(default_factory=list)
    hands: list[Hand] = field(default_factory=list)
    text: list[TextLine] = field(default_factory=list)
    pixels: PixelStats | None = None
    imagenet: list[Label] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    weak_objects: list[Detection] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class Analyser(Protocol):
    """A perception model run over a batch of frames.

    ``analyse`` takes RGB frames, each ``(H, W, 3) uint8``, and fills its own field of
    the matching :class:`FrameAnalysis` objects in place (one per frame, same order).
    """

    name: str
    model_id: str

    def analyse(self, images: Sequence[np.ndarray], out: Sequence[FrameAnalysis]) -> None: ...

    def close(self) -> None: ...
