"""Video-level judgements with the cross-attentive GRU fusion model: features, training, prediction.

Three streams per video (the names are the stream keys of the model config):

* ``image``: frame embeddings from the feature store (encoder ``pixels`` by default), sampled
  at ``image_fps`` (1 per second: the sparse "image frames" stream);
* ``video`` (motion): differences of consecutive grey frames shrunk to 16x16, sampled at
  ``motion_fps`` (4 per second, decoded at 64 px) -- the absolute difference map, L2-normalised (256 numbers:
  where things move), plus ``log1p(255 * mean |difference|)`` (how much).  It is computed from
  pixels, not from embeddings, so that it carries motion and not colour;
* ``text``: the video's own ADs (a ``cinescribe describe`` ``*.ad.json``), one MiniLM sentence
  embedding (384) per spoken AD in time order.  Without an AD script the stream is missing.

Sequences longer than ``max_steps`` are subsampled uniformly.  Training holds out
``val_fraction`` of the videos and keeps the weights of the epoch with the lowest validation
loss.  Metrics are computed by :mod:`cinescribe.evaluate.classification` (a later stage).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np
import torch

from ..atomic import write_json
from ..data.labels import Labels, video_key
from ..defaults import FEATURE_FPS, FEATURE_MAX_SIDE
from ..errors import InputError
from ..features.encoders import load_encoder
from ..features.store import FeatureStore
from ..media.frames import sample_frames
from ..models.config import config_from_dict, config_to_dict
from ..models.gru_fusion import StreamFusionConfig, StreamFusionModel
from ..models.registry import get_config
from ..progress import progress_bar

META_NAME = "classify.json"
MOTION_SIDE = 16
MOTION_DIM = MOTION_SIDE * MOTION_SIDE + 1
MOTION_DECODE_SIDE = 64  # frames for the motion stream are decoded this small (longest side)
STREAMS = ("video", "image", "text")
VIDEO_SUFFIXES = {".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts"}


@dataclass
class ClassifyConfig:
    """Everything ``classify train`` needs besides the data (``--config`` JSON/YAML keys)."""

    model: str = "violence-3stream"
    model_config: dict = field(default_factory=dict)
    streams: tuple = STREAMS
    encoder: str = "pixels"
    image_fps: float = 1.0
    motion_fps: float = FEATURE_FPS
    max_side: int = FEATURE_MAX_SIDE
    max_steps: int = 64
    epochs: int = 40
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-2
    val_fraction: float = 0.2
    seed: int = 0
    threads: int = 1  # torch CPU threads: these small models run fastest on one

    def __post_init__(self) -> None:
        unknown = sorted(set(self.streams) - set(STREAMS))
        if unknown or not self.streams:
            raise ValueError(f"streams must be a non-empty subset of {', '.join(STREAMS)}, got {list(self.streams)}")
        if not (0 < self.image_fps <= 30 and 0 < self.motion_fps <= 30):
            raise ValueError("image_fps and motion_fps must be between 0 and 30")
        if self.epochs < 1 or self.batch_size < 1 or self.threads < 1 or self.max_steps < 2 or self.lr <= 0:
            raise ValueError("epochs, batch_size, threads and lr must be positive and max_steps at least 2")
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")


def read_config(path: str | Path | None) -> ClassifyConfig:
    """A :class:`ClassifyConfig` from a JSON or YAML file (defaults when ``path`` is None)."""
    if path is None:
        return ClassifyConfig()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the config {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            raw = yaml.safe_load(text)
        else:
            raw = json.loads(text)
    except Exception as exc:  # yaml and json raise their own error types
        raise InputError(f"{path} is not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {exc}".splitlines()[0]) from None
    return config_from_dict(ClassifyConfig, raw or {}, str(path))


# -- stream features ------------------------------------------------------------------------------

def motion_features(frames: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """Motion stream of consecutive RGB frames ``(n, H, W, 3) uint8`` -> ``(n - 1, 257)`` float32
    (see the module docstring); fewer than two frames give ``(0, 257)``."""
    grey = [cv2.resize(cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY), (MOTION_SIDE, MOTION_SIDE),
                       interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0 for f in frames]
    if len(grey) < 2:
        return np.zeros((0, MOTION_DIM), np.float32)
    diff = np.abs(np.diff(np.stack(grey), axis=0)).reshape(len(grey) - 1, -1)  # (n-1, 256)
    norm = np.linalg.norm(diff, axis=1, keepdims=True)
    energy = np.log1p(255.0 * diff.mean(1, keepdims=True))
    return np.concatenate([diff / np.maximum(norm, 1e-6), energy], 1).astype(np.float32)


@dataclass
class VideoStreams:
    """One video's streams: name -> ``(times (n,), features (n, D))``; ``duration`` in seconds."""

    name: str
    duration: float
    streams: dict[str, tuple[np.ndarray, np.ndarray]]

    def window(self, start: float, end: float) -> "VideoStreams":
        """The steps with ``start <= t < end`` (a stream with none is left out)."""
        out = {}
        for s, (t, x) in self.streams.items():
            keep = (t >= start) & (t < end)
            if keep.any():
                out[s] = (t[keep], x[keep])
        return VideoStreams(self.name, end - start, out)


def ad_texts(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """Mid-times and texts of the spoken ADs of a ``cinescribe describe`` JSON."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        spoken = [d for d in doc["descriptions"] if str(d.get("text", "")).strip()]
        times = np.array([(float(d["start"]) + float(d["end"])) / 2 for d in spoken], np.float64)
        return times, [str(d["text"]) for d in spoken]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path} is not a readable AD script ({exc}); give the *.ad.json of cinescribe describe") from None


class StreamExtractor:
    """Computes :class:`VideoStreams` of videos: image features through the store, motion from
    decoded frames, text from AD scripts (embedded with ``text_encoder``, loaded on first use)."""

    def __init__(self, config: ClassifyConfig, cache: str | os.PathLike[str] | None = None, text_encoder=None):
        self.config = config
        self.store = FeatureStore(cache)
        self.encoder = load_encoder(config.encoder) if "image" in config.streams else None
        self.text_encoder = text_encoder

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if self.text_encoder is None:
            from ..data.text_features import TextEncoder

            self.text_encoder = TextEncoder()
        return self.text_encoder.encode(texts)[0]

    def __call__(self, video: str | Path, ad_script: str | Path | None = None) -> VideoStreams:
        cfg, video = self.config, Path(video)
        streams: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        duration = 0.0
        if self.encoder is not None:
            entry = self.store.extract(video, self.encoder, fps=cfg.image_fps, max_side=cfg.max_side)
            streams["image"] = (entry.times, entry.features())
            duration = float(entry.manifest["video"]["duration"])
        if "video" in cfg.streams:
            with sample_frames(video, cfg.motion_fps, max_side=MOTION_DECODE_SIDE) as frames:
                got = list(frames)
            times = np.array([f.t for f in got], np.float64)
            streams["video"] = (times[1:], motion_features([f.image for f in got]))
            duration = max(duration, float(times[-1]) if len(times) else 0.0)
        if "text" in cfg.streams and ad_script is not None:
            times, texts = ad_texts(ad_script)
            if texts:
                streams["text"] = (times, self.embed_texts(texts))
        return VideoStreams(video.stem, duration, {s: v for s, v in streams.items() if len(v[0])})


def find_videos(folder: str | Path) -> dict[str, Path]:
    """Video files of ``folder`` (recursively) by :func:`video_key`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"--videos {folder} is not a folder")
    found: dict[str, Path] = {}
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file():
            found.setdefault(video_key(p.name), p)
    return found


# -- batches, training, prediction ----------------------------------------------------------------

def _subsample(x: np.ndarray, max_steps: int) -> np.ndarray:
    if len(x) <= max_steps:
        return x
    return x[np.linspace(0, len(x) - 1, max_steps).round().astype(int)]


def make_batch(samples: Sequence[VideoStreams], stream_dims: dict[str, int], max_steps: int
               ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Pad the samples' streams into ``streams {s: (B, L_s, D_s)}`` and ``masks {s: (B, L_s)}``;
    a stream no sample has is left out, a sample without a stream gets an all-False row."""
    streams, masks = {}, {}
    for s, dim in stream_dims.items():
        rows = [_subsample(v.streams[s][1], max_steps) if s in v.streams else np.zeros((0, dim), np.float32)
                for v in samples]
        length = max(len(r) for r in rows)
        if length == 0:
            continue
        x = np.zeros((len(rows), length, dim), np.float32)
        m = np.zeros((len(rows), length), bool)
        for i, r in enumerate(rows):
            if len(r) and r.shape[1] != dim:
                raise InputError(f"{samples[i].name}: stream '{s}' has {r.shape[1]} features, the model expects {dim}; "
                                 "use the encoder the model was trained with")
            x[i, :len(r)], m[i, :len(r)] = r, True
        streams[s], masks[s] = torch.from_numpy(x), torch.from_numpy(m)
    return streams, masks


def _targets(labels: Labels, index: Sequence[int]) -> torch.Tensor:
    return torch.from_numpy(np.asarray(labels.targets[list(index)]))


def build_model(config: ClassifyConfig, labels: Labels, stream_dims: dict[str, int]) -> StreamFusionModel:
    """The registry model ``config.model`` with ``model_config`` overrides, sized for the data."""
    overrides = {**config.model_config, "task": labels.task, "num_outputs": labels.num_outputs}
    model_config = get_config(config.model, overrides)
    if not isinstance(model_config, StreamFusionConfig):
        raise InputError(f"model '{config.model}' is not a stream classifier; use violence-3stream or valence-arousal")
    return StreamFusionModel(replace(model_config, stream_dims=dict(stream_dims)))


def stream_dims_of(samples: Sequence[VideoStreams], wanted: Sequence[str]) -> dict[str, int]:
    dims = {}
    for s in wanted:
        have = {v.streams[s][1].shape[1] for v in samples if s in v.streams}
        if len(have) > 1:
            raise InputError(f"stream '{s}' has different widths across videos: {sorted(have)}")
        if have:
            dims[s] = have.pop()
    if not dims:
        raise InputError("no video has any usable stream (are the videos empty?)")
    return dims


@dataclass
class TrainResult:
    model: StreamFusionModel
    history: list[dict[str, float]]
    best_epoch: int
    val_ids: list[str]


def train_classifier(samples: Sequence[VideoStreams], labels: Labels, config: ClassifyConfig) -> TrainResult:
    """Train a fusion model on ``samples`` (aligned with ``labels.ids``); see the module docstring."""
    if len(samples) != len(labels.ids):
        raise ValueError("samples and labels must be aligned")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(samples))
    n_val = int(round(config.val_fraction * len(samples))) if len(samples) >= 5 else 0
    val, train = order[:n_val], order[n_val:]
    dims = stream_dims_of(samples, config.streams)
    model = build_model(config, labels, dims)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * math.ceil(len(train) / config.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=max(steps, 1), pct_start=0.1)
    history, best, best_epoch, best_state = [], math.inf, 0, None
    with progress_bar("Training classifier", total=config.epochs) as bar:
        for epoch in range(1, config.epochs + 1):
            model.train()
            perm = rng.permutation(train)
            total = 0.0
            for i in range(0, len(perm), config.batch_size):
                idx = perm[i:i + config.batch_size]
                streams, masks = make_batch([samples[j] for j in idx], dims, config.max_steps)
                loss = model.loss(model(streams, masks), _targets(labels, idx))
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                total += loss.item() * len(idx)
            row = {"epoch": epoch, "train_loss": total / max(len(train), 1)}
            if len(val):
                row["val_loss"] = evaluate_loss(model, [samples[j] for j in val], _targets(labels, val), config)
                if row["val_loss"] < best:
                    best, best_epoch = row["val_loss"], epoch
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            history.append(row)
            bar.advance()
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = config.epochs
    return TrainResult(model.eval(), history, best_epoch, [labels.ids[j] for j in val])


@torch.no_grad()
def evaluate_loss(model: StreamFusionModel, samples: Sequence[VideoStreams], targets: torch.Tensor,
                  config: ClassifyConfig) -> float:
    model.eval()
    streams, masks = make_batch(samples, model.config.stream_dims, config.max_steps)
    return float(model.loss(model(streams, masks), targets))


@torch.no_grad()
def predict(model: StreamFusionModel, samples: Sequence[VideoStreams], max_steps: int = 64,
            batch_size: int = 32) -> np.ndarray:
    """Scores ``(n, K)``: class probabilities (softmax, or sigmoid per label) or regression values.
    A sample with no stream at all gets NaNs."""
    model.eval()
    out = np.full((len(samples), model.config.num_outputs), np.nan, np.float32)
    usable = [i for i, v in enumerate(samples) if any(s in model.config.stream_dims for s in v.streams)]
    for i in range(0, len(usable), batch_size):
        idx = usable[i:i + batch_size]
        streams, masks = make_batch([samples[j] for j in idx], model.config.stream_dims, max_steps)
        raw = model(streams, masks)["output"]
        task = model.config.task
        scores = raw.softmax(-1) if task == "multiclass" else raw.sigmoid() if task == "multilabel" else raw
        out[idx] = scores.numpy()
    return out


def _scores_dict(names: list[str], row: np.ndarray) -> dict[str, float] | None:
    return None if np.isnan(row).any() else {n: round(float(v), 4) for n, v in zip(names, row)}


def segment_windows(duration: float, length: float) -> list[tuple[float, float]]:
    """Consecutive ``length``-second windows covering ``[0, duration]`` (the last one may be shorter)."""
    if length <= 0:
        raise InputError(f"--segments must be a positive number of seconds, got {length}")
    n = max(1, math.ceil(duration / length - 1e-9))
    return [(round(k * length, 3), round(min((k + 1) * length, max(duration, length)), 3)) for k in range(n)]


def segment_scores(model: StreamFusionModel, sample: VideoStreams, length: float, names: list[str],
                   max_steps: int = 64) -> list[dict[str, Any]]:
    """Scores of each ``length``-second window of ``sample``: ``[{start, end, scores {name: value}}]``;
    a window with no stream step gets ``scores: null``."""
    windows = segment_windows(sample.duration, length)
    scores = predict(model, [sample.window(a, b) for a, b in windows], max_steps)
    return [{"start": a, "end": b, "scores": _scores_dict(names, s)} for (a, b), s in zip(windows, scores)]


# -- checkpoints ----------------------------------------------------------------------------------

def save_classifier(folder: str | Path, result: TrainResult, labels: Labels, config: ClassifyConfig) -> Path:
    """The model checkpoint plus ``classify.json`` (task, names, feature settings, history)."""
    folder = Path(folder)
    result.model.save_pretrained(folder)
    write_json(folder / META_NAME, {"task": labels.task, "names": labels.names, "config": config_to_dict(config),
                                    "best_epoch": result.best_epoch, "val_ids": result.val_ids,
                                    "history": result.history})
    return folder


def load_classifier(folder: str | Path) -> tuple[StreamFusionModel, dict[str, Any], ClassifyConfig]:
    folder = Path(folder)
    meta_path = folder / META_NAME
    if not meta_path.is_file():
        raise InputError(f"{folder} is not a classifier folder (no {META_NAME}); train one with cinescribe classify train")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        config = config_from_dict(ClassifyConfig, meta["config"], str(meta_path))
        if not isinstance(meta.get("names"), list) or meta.get("task") not in ("multiclass", "multilabel", "regression"):
            raise KeyError("names/task")
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"{meta_path} is damaged ({exc}); train the classifier again") from None
    return StreamFusionModel.from_pretrained(folder).eval(), meta, config


# -- the commands' work (``cinescribe classify train|predict``) ------------------------------------

TRACK_SCHEMA = "cinescribe.score-track/1"
PREDICTIONS_SCHEMA = "cinescribe.classify-predictions/1"


def _ad_script(ads: str | Path | None, stem: str) -> Path | None:
    if ads is None:
        return None
    path = Path(ads) / f"{stem}.ad.json"
    return path if path.is_file() else None


def _extract_all(extractor: StreamExtractor, videos: list[Path], ads: str | Path | None) -> list[VideoStreams]:
    samples = []
    with progress_bar("Stream features", total=len(videos)) as bar:
        for path in videos:
            samples.append(extractor(path, _ad_script(ads, path.stem)))
            bar.advance()
    return samples


def run_train(labels_path: str | Path, videos_dir: str | Path, output: str | Path, config_path: str | Path | None = None,
              ads: str | Path | None = None, cache: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read labels, compute the streams of the labelled videos, train, save to ``output``."""
    from ..data.labels import read_labels

    config = read_config(config_path)
    torch.set_num_threads(config.threads)
    labels = read_labels(labels_path)
    found = find_videos(videos_dir)
    missing = [v for v in labels.ids if v not in found]
    if missing:
        raise InputError(f"{len(missing)} labelled video(s) not found in {videos_dir}: {', '.join(missing[:5])}"
                         f"{' ...' if len(missing) > 5 else ''}; labels name videos by file stem")
    if ads is not None and not Path(ads).is_dir():
        raise InputError(f"--ads {ads} is not a folder of <video stem>.ad.json files")
    samples = _extract_all(StreamExtractor(config, cache), [found[v] for v in labels.ids], ads)
    result = train_classifier(samples, labels, config)
    save_classifier(output, result, labels, config)
    last = result.history[result.best_epoch - 1]
    return {"output": str(output), "videos": len(samples), "task": labels.task, "names": labels.names,
            "streams": sorted(result.model.config.stream_dims), "best_epoch": result.best_epoch, **last}


def _decision(task: str, names: list[str], scores: dict[str, float] | None) -> dict[str, Any]:
    if scores is None:
        return {}
    if task == "multiclass":
        return {"label": max(scores, key=scores.get)}
    if task == "multilabel":
        return {"labels": [n for n in names if scores[n] >= 0.5]}
    return {}


def run_predict(model_dir: str | Path, videos: Sequence[str | Path], output: str | Path, segments: float | None = None,
                ads: str | Path | None = None, cache: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Score ``videos`` into the predictions JSON ``output``; with ``segments`` (seconds) also a
    score track ``<stem>.scores.json`` per video beside it.  Returns the predictions document
    with ``tracks``: video stem -> track path."""
    model, meta, config = load_classifier(model_dir)
    torch.set_num_threads(config.threads)
    paths = [Path(v) for v in videos]
    bad = [str(p) for p in paths if not p.is_file()]
    if bad:
        raise InputError(f"no such video: {', '.join(bad[:5])}")
    if len({p.stem for p in paths}) != len(paths):
        raise InputError("two videos share a file stem; predictions and tracks are named by stem")
    if segments is not None and segments <= 0:
        raise InputError(f"--segments must be a positive number of seconds, got {segments}")
    wanted = tuple(s for s in config.streams if s in model.config.stream_dims)
    extractor = StreamExtractor(replace(config, streams=wanted), cache)
    samples = _extract_all(extractor, paths, ads)
    names, task = list(meta["names"]), meta["task"]
    scores = predict(model, samples, config.max_steps)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"schema": PREDICTIONS_SCHEMA, "model": str(model_dir), "task": task, "names": names,
                           "videos": []}
    tracks: dict[str, str] = {}
    for path, sample, row in zip(paths, samples, scores):
        entry = {"video": path.stem, "path": str(path), "streams": sorted(sample.streams)}
        s = _scores_dict(names, row)
        entry.update(scores=s, **_decision(task, names, s))
        if segments is not None:
            track = {"schema": TRACK_SCHEMA, "name": Path(model_dir).name, "task": task, "names": names,
                     "window": segments, "video": str(path),
                     "segments": segment_scores(model, sample, segments, names, config.max_steps)}
            track_path = out.parent / f"{path.stem}.scores.json"
            write_json(track_path, track)
            tracks[path.stem] = str(track_path)
            entry["track"] = str(track_path)
        doc["videos"].append(entry)
    write_json(out, doc)
    return {**doc, "tracks": tracks}
