"""One batch worker: a process (a Ray actor or a pool process) that keeps its models loaded.

:class:`VideoWorker` runs one video's stages at a time.  The perception models, frame
encoders and language models (polisher, AD model) are loaded on the first video that needs
them and reused for every later one;
errors never escape :meth:`VideoWorker.run`, they come back in the :class:`~.jobs.Outcome`
as one line.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any, Sequence

from ..describe.pipeline import DescribeConfig, TextModels
from ..errors import InputError, MissingDependencyError
from ..features.analysers.base import Analyser
from ..features.analysis_cache import lazy_default_analysers
from ..torch_device import resolve_device
from ..features.encoders import FrameEncoder, load_encoder
from ..features.store import FeatureStore
from ..progress import set_quiet
from .jobs import Job, Outcome, one_line
from .markers import DoneMarkers
from .stages import Stage


@dataclass(frozen=True)
class BatchSettings:
    """What every worker needs: the output root, the describe settings and the stage list."""

    root: str
    cfg: DescribeConfig
    formats: tuple[str, ...]
    stages: tuple[Stage, ...]
    threads: int = 1
    cache: str | None = None  # feature store folder (None: the default store)


class VideoWorker:
    """Processes jobs one after another; see the module docstring.

    ``events``, if given, receives ``(job index, stage name)`` as each stage starts (any
    object with ``put_nowait``: a multiprocessing queue or a Ray queue).
    """

    def __init__(self, settings: BatchSettings, events: Any = None) -> None:
        set_quiet(True)
        quiet = logging.getLogger("cinescribe")
        quiet.handlers[:] = [logging.NullHandler()]
        quiet.propagate = False
        import torch

        torch.set_num_threads(max(1, settings.threads))
        self.settings = settings
        self.cfg = settings.cfg
        self.formats = settings.formats
        self.markers = DoneMarkers(settings.root)
        self.video_seconds = 0.0
        self._events = events
        self._models: list[Analyser] | None = None
        self._encoders: dict[str, FrameEncoder] = {}
        self._store: FeatureStore | None = None
        self._text_models: TextModels | None = None
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def analysers(self) -> Sequence[Analyser]:
        """The perception models of ``cfg`` (as ``describe`` uses them: each loaded when first
        needed), kept for later videos."""
        if self._models is None:
            c = self.cfg
            device = resolve_device(c.device)
            self._models = lazy_default_analysers(objects=c.objects, faces=c.faces, poses=c.poses, ocr=c.ocr,
                                                  hands=c.poses, setting=c.setting, workers=self.settings.threads,
                                                  device=device, runtime=c.runtime_for(device))
        return self._models

    def encoder(self, spec: str) -> FrameEncoder:
        """The frame encoder ``spec``, loaded once and kept for later videos."""
        if spec not in self._encoders:
            self._encoders[spec] = load_encoder(spec)
        return self._encoders[spec]

    def store(self) -> FeatureStore:
        """The feature store shared by the stages (frame features, cached perception results)."""
        if self._store is None:
            self._store = FeatureStore(self.settings.cache)
        return self._store

    def text_models(self) -> TextModels:
        """The polishing LM and AD model of ``cfg``, loaded on first use and kept for later videos."""
        if self._text_models is None:
            self._text_models = TextModels(self.cfg)
        return self._text_models

    def run(self, job: Job) -> Outcome:
        """All stages of ``job``, then its done marker; a failure is returned, never raised."""
        start = time.perf_counter()
        out = Outcome(job.index, "failed", worker=self.name)
        try:
            with self.markers.lock(job.key):
                marker = self.markers.read(job.key)
                if marker is not None:
                    out.status = "skipped"
                    out.video_seconds = float(marker.get("video_seconds", 0.0))
                    out.files = list(marker["files"])
                    out.outdir = str(marker.get("outdir", ""))
                    return out
                self.video_seconds = 0.0
                files: list[str] = []
                for stage in self.settings.stages:
                    if self._events is not None:
                        self._events.put_nowait((job.index, stage.name))
                    t = time.perf_counter()
                    files.extend(str(p) for p in stage.run(job, self).values())
                    out.stage_seconds[stage.name] = round(time.perf_counter() - t, 3)
                out.files = sorted(set(files))
                out.video_seconds = self.video_seconds
                self.markers.write(job.key, {
                    "video": job.video,
                    "outdir": job.outdir,
                    "files": out.files,
                    "video_seconds": out.video_seconds,
                    "stage_seconds": out.stage_seconds,
                    "worker": self.name,
                    "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                })
                out.status = "done"
        except (InputError, MissingDependencyError) as exc:
            out.error = one_line(exc)
            out.permanent = True
        except Exception as exc:  # noqa: BLE001 - a bad video must never stop the batch
            out.error = f"{type(exc).__name__}: {one_line(exc)}"
        finally:
            out.seconds = round(time.perf_counter() - start, 3)
        return out

    def close(self) -> None:
        for model in self._models or []:
            model.close()
        for encoder in self._encoders.values():
            close = getattr(encoder, "close", None)
            if close is not None:
                close()
        self._models, self._encoders = None, {}
