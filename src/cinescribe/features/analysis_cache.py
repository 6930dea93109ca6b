"""Per-frame perception results in the feature store, so a second run does no model work.

Each analyser's results for one video live in one JSON-lines file under the video's
store folder: ``analyses/<analyser name>-<hash of model id>-<max side>px.jsonl``.  The first line
is a header (format, video fingerprint, analyser model id, frame size); each further
line is one frame: ``{"t": seconds, "fields": {...}}`` holding the :class:`FrameAnalysis`
fields that analyser filled.  Frames are keyed by time rounded to the millisecond.
Lines are appended and flushed as frames are measured; a damaged line (an interrupted
write) or a header that does not match is reported and the file is rebuilt from the
good lines.

:func:`analyse_cached` is :func:`~.analysers.analyse_frames` with that cache in front;
:class:`LazyAnalyser` defers loading a model until a frame is missing from the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, fields
from typing import Callable, Mapping, Sequence

import numpy as np

from ..atomic import write_text
from .analysers import BATCH
from .analysers.base import (ANALYSIS_REVISION, Analyser, Detection, Face, FrameAnalysis, Hand, Label, PixelStats, Pose,
                             Region, TextLine)
from .store import FeatureStore, slug

log = logging.getLogger("cinescribe.features")

FORMAT = 1
_FIELDS = [f.name for f in fields(FrameAnalysis) if f.name != "t"]


def _tuple(v):
    return tuple(v) if v is not None else None


def encode_fields(fa: FrameAnalysis) -> dict:
    """The fields of ``fa`` that differ from an empty FrameAnalysis, as JSON-ready values."""
    blank = FrameAnalysis(t=fa.t)
    return {name: asdict(fa)[name] for name in _FIELDS if getattr(fa, name) != getattr(blank, name)}


def decode_fields(data: Mapping, fa: FrameAnalysis) -> None:
    """Set the fields stored by :func:`encode_fields` on ``fa``."""
    for name, value in data.items():
        if name in ("objects", "weak_objects"):
            setattr(fa, name, [Detection(d["label"], d["score"], _tuple(d["box"])) for d in value])
        elif name == "faces":
            fa.faces = [Face(d["score"], _tuple(d["box"]), d.get("expression"), d.get("expression_score"),
                             d.get("descriptor"), d.get("gender"), d.get("gender_score"), d.get("age"),
                             _tuple(d.get("torso_rgb")), _tuple(d.get("hair_rgb"))) for d in value]
        elif name == "poses":
            fa.poses = [Pose(d["score"], {k: _tuple(p) for k, p in d["keypoints"].items()}, d.get("posture"),
                             _tuple(d.get("box"))) for d in value]
        elif name == "hands":
            fa.hands = [Hand(d["label"], d["score"], _tuple(d["box"])) for d in value]
        elif name == "text":
            fa.text = [TextLine(d["text"], d["score"], _tuple(d["box"])) for d in value]
        elif name == "pixels":
            fa.pixels = PixelStats(value["brightness"], value["colourfulness"], value["hue"], value.get("motion"),
                                   _tuple(value.get("shift")), value.get("green_ground"), value.get("green_texture"))
        elif name == "imagenet":
            fa.imagenet = [Label(d["label"], d["score"]) for d in value]
        elif name == "regions":
            fa.regions = [Region(d["source"], _tuple(d["box"]), [Label(x["label"], x["score"]) for x in d["labels"]])
                          for d in value]
        else:
            raise KeyError(name)


def _key(t: float) -> int:
    return int(round(float(t) * 1000))


class AnalysisCache:
    """One analyser's per-frame results for one video at one frame size."""

    def __init__(self, store: FeatureStore, video_fingerprint: str, model_id: str, max_side: int,
                 name: str = "analyser") -> None:
        digest = hashlib.sha256(f"{model_id}|{ANALYSIS_REVISION}".encode()).hexdigest()[:10]
        self.path = store.video_dir(video_fingerprint) / "analyses" / f"{slug(name)}-{digest}-{max_side}px.jsonl"
        self.header = {"format": FORMAT, "kind": "frame-analyses", "video": video_fingerprint,
                       "model_id": model_id, "revision": ANALYSIS_REVISION, "max_side": int(max_side)}
        self.records: dict[int, dict] = {}
        self.writable = True
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            return
        lines = self.path.read_bytes().split(b"\n")
        damaged = False
        try:
            header = json.loads(lines[0])
        except (json.JSONDecodeError, UnicodeDecodeError):
            header, damaged = None, True
        if header != self.header:
            if not damaged:
                log.info(f"analysis cache {self.path.name} was written for another model or video; rebuilding it")
            else:
                log.warning(f"analysis cache {self.path} is corrupt (bad header); rebuilding it")
            self._rewrite()
            return
        for line in lines[1:]:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                decode_fields(rec["fields"], FrameAnalysis(t=rec["t"]))
                self.records[_key(rec["t"])] = rec["fields"]
            except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError):
                damaged = True
        if damaged:
            log.warning(f"analysis cache {self.path} is corrupt (damaged lines); rebuilding it from "
                        f"{len(self.records)} intact frames")
            self._rewrite()

    def _rewrite(self) -> None:
        body = [json.dumps(self.header)] + [json.dumps({"t": k / 1000, "fields": v}) for k, v in sorted(self.records.items())]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text(self.path, "\n".join(body) + "\n")
        except OSError as e:
            self._unwritable(e)

    def _unwritable(self, error: OSError) -> None:
        if self.writable:
            log.warning(f"cannot write the feature cache {self.path.parent} ({error.strerror or error}); "
                        "continuing without caching (set --cache or $CINESCRIBE_CACHE to a writable folder)")
        self.writable = False

    def get(self, t: float) -> dict | None:
        return self.records.get(_key(t))

    def put(self, measured: Sequence[FrameAnalysis]) -> None:
        """Record frames (appended to the file and flushed)."""
        lines = []
        for fa in measured:
            data = encode_fields(fa)
            self.records[_key(fa.t)] = data
            lines.append(json.dumps({"t": round(fa.t, 3), "fields": data}) + "\n")
        if not self.writable:
            return
        if not self.path.is_file():
            self._rewrite()
            return
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.writelines(lines)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as e:
            self._unwritable(e)


def analysis_caches(store: FeatureStore, video_fingerprint: str, analysers: Sequence[Analyser],
                    max_side: int) -> dict[str, AnalysisCache]:
    """One cache per analyser, by analyser name."""
    return {a.name: AnalysisCache(store, video_fingerprint, a.model_id, max_side, a.name) for a in analysers}


def analyse_cached(images: Sequence[np.ndarray], times: Sequence[float], analysers: Sequence[Analyser],
                   caches: Mapping[str, AnalysisCache], *, batch: int = BATCH) -> list[FrameAnalysis]:
    """Like ``analyse_frames``, but frames an analyser already measured come from its cache.

    An analyser with ``needs`` (names of :class:`FrameAnalysis` fields, e.g. the ImageNet
    analyser's object and hand boxes) is given those fields as the analysers before it in
    ``analysers`` measured them; only the fields it fills itself go into its cache."""
    if len(images) != len(times):
        raise ValueError(f"{len(images)} images but {len(times)} times")
    out = [FrameAnalysis(t=float(t)) for t in times]
    for analyser in analysers:
        cache = caches.get(analyser.name)
        todo = []
        for i, fa in enumerate(out):
            hit = cache.get(fa.t) if cache is not None else None
            if hit is None:
                todo.append(i)
            else:
                decode_fields(hit, fa)
        needs = tuple(getattr(analyser, "needs", ()))
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            fresh = [FrameAnalysis(t=out[i].t, **{n: getattr(out[i], n) for n in needs}) for i in chunk]
            analyser.analyse([images[i] for i in chunk], fresh)
            for fa in fresh:  # what it was given is the other analysers' to store
                for n in needs:
                    setattr(fa, n, [])
            if cache is not None:
                cache.put(fresh)
            for i, fa in zip(chunk, fresh):
                decode_fields(encode_fields(fa), out[i])
    return out


class LazyAnalyser:
    """An analyser whose model is loaded on the first frame it must measure.

    ``name`` and ``model_id`` are known up front (they key the cache); after loading,
    the real analyser must report the same ``model_id``.
    """

    def __init__(self, name: str, model_id: str, factory: Callable[[], Analyser], needs: tuple[str, ...] = ()) -> None:
        self.name, self.model_id = name, model_id
        self.needs = needs  # FrameAnalysis fields of earlier analysers it reads (see analyse_cached)
        self._factory = factory
        self._model: Analyser | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def analyse(self, images: Sequence[np.ndarray], out: Sequence[FrameAnalysis]) -> None:
        if self._model is None:
            model = self._factory()
            if model.model_id != self.model_id:
                model.close()
                raise RuntimeError(f"analyser {self.name} loaded {model.model_id}, expected {self.model_id}")
            self._model = model
        self._model.analyse(images, out)

    def close(self) -> None:
        if self._model is not None:
            self._model.close()
            self._model = None


def lazy_default_analysers(*, objects: bool = True, faces: bool = True, poses: bool = True,
                           ocr: bool = True, hands: bool = False, setting: bool = True,
                           workers: int | None = None, device: str = "cpu", runtime: str = "node") -> list[LazyAnalyser]:
    """The default perception models (as ``default_analysers``), each loaded only when needed;
    ``workers`` TF.js workers (None: one per core, at most two), or with ``runtime="torch"`` the same
    graphs in PyTorch; the PyTorch models on the torch ``device``."""
    from .analysers import human
    from .analysers.ocr import MODEL_ID as OCR_MODEL_ID

    found: list[LazyAnalyser] = []
    if objects or faces or poses or hands:
        tasks = [t for t, on in (("objects", objects), ("faces", faces), ("poses", poses), ("hands", hands)) if on]
        found.append(LazyAnalyser(human.HumanAnalyser.name, human.tasks_model_id(tasks),
                                  lambda: human.HumanAnalyser(objects=objects, faces=faces, poses=poses, hands=hands,
                                                              workers=workers, runtime=runtime, device=device)))
    if ocr:
        def load_ocr():
            from .analysers.ocr import OcrAnalyser

            return OcrAnalyser()

        found.append(LazyAnalyser("ocr", OCR_MODEL_ID, load_ocr))
    if setting:
        from .analysers.imagenet import ANALYSER_ID, NEEDS

        def load_imagenet():
            from .analysers.imagenet import ImageNetAnalyser

            return ImageNetAnalyser(device=device)

        found.append(LazyAnalyser("imagenet", ANALYSER_ID, load_imagenet, NEEDS))
    return found
