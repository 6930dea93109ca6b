"""The named stages of one video's job: plain functions over the video and its output folder.

A stage takes the :class:`~.jobs.Job` and the worker's :class:`StageContext` (the batch
settings and the models the worker keeps loaded) and returns the files it wrote; its
``config`` (what else decides its output) goes into the done markers' configuration hash.
The optional ``extract`` stage first writes the video's frame features into the feature
store, as ``cinescribe extract`` does.  The core stage is ``describe``: exactly
:func:`~cinescribe.describe.pipeline.describe_to_folder`, so a video's output folder holds
what ``cinescribe describe VIDEO -o FOLDER`` writes.  The optional ``export`` stage then
runs :func:`~cinescribe.export.pipeline.export_script` on that JSON, as ``cinescribe
export FOLDER --video VIDEO --formats ...`` would.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from ..defaults import FEATURE_FPS, FEATURE_MAX_SIDE
from ..describe.folder import describe_to_folder
from ..describe.pipeline import DescribeConfig, TextModels
from ..errors import InputError
from ..export.formats import parse_formats
from ..export.pipeline import ExportConfig, export_script
from ..export.voices import VOICES
from ..features.analysers.base import Analyser
from ..export.writeout import write_outputs
from ..features.encoders import FrameEncoder, parse_spec
from ..features.store import MANIFEST, FeatureStore
from .jobs import Job


class StageContext(Protocol):
    """What a stage may use: the describe settings, the worker's loaded models and the feature store."""

    cfg: DescribeConfig
    formats: tuple[str, ...]
    video_seconds: float

    def analysers(self) -> Sequence[Analyser]: ...

    def encoder(self, spec: str) -> FrameEncoder: ...

    def store(self) -> FeatureStore: ...

    def text_models(self) -> TextModels: ...


@dataclass(frozen=True)
class Stage:
    """One named step of a video's job; ``run`` returns the files it wrote."""

    name: str
    run: Callable[[Job, StageContext], dict[str, Path]]
    config: dict[str, Any] = field(default_factory=dict)


def extract(job: Job, ctx: StageContext, *, encoder: str, fps: float, max_side: int) -> dict[str, Path]:
    """Frame features into the feature store, as ``cinescribe extract`` (resumed or reused when stored)."""
    entry = ctx.store().extract(job.video, ctx.encoder(encoder), fps=fps, max_side=max_side)
    return {"features": entry.folder / MANIFEST}


def extract_stage(encoder: str = "pixels", fps: float = FEATURE_FPS, max_side: int = FEATURE_MAX_SIDE) -> Stage:
    """The ``extract`` stage (the encoder spec is checked now: InputError for an unknown one)."""
    parse_spec(encoder)
    if not 0 < fps <= 60:
        raise InputError(f"--extract-fps must be between 0 and 60 frames per second (got {fps:g})")
    if not 16 <= max_side <= 4096:
        raise InputError(f"--extract-max-side must be between 16 and 4096 (got {max_side})")
    return Stage("extract", functools.partial(extract, encoder=encoder, fps=fps, max_side=max_side),
                 {"encoder": encoder, "fps": fps, "max_side": max_side})


def describe(job: Job, ctx: StageContext) -> dict[str, Path]:
    """``describe_to_folder`` with the worker's models (loaded once per worker, not per video) and store,
    then the formats that need no voice."""
    script, path = describe_to_folder(job.video, job.outdir, cfg=ctx.cfg, analysers=ctx.analysers(),
                                      store=ctx.store(), text_models=ctx.text_models())
    ctx.video_seconds = float(script.video["duration"])
    return {"json": path, **write_outputs(script, Path(job.outdir), Path(job.video).stem, ctx.formats)}


def export(job: Job, ctx: StageContext, *, formats: tuple[str, ...], cfg: ExportConfig) -> dict[str, Path]:
    """``export_script`` on the ``describe`` stage's JSON, into the same folder."""
    source = Path(job.outdir) / f"{Path(job.video).stem}.ad.json"
    return export_script(source, video=job.video, outdir=job.outdir, formats=formats, cfg=cfg)


def export_stage(formats: str | Sequence[str], cfg: ExportConfig = ExportConfig()) -> Stage:
    """The ``export`` stage for ``formats`` (checked now: InputError for an unknown one)."""
    fmts = parse_formats(formats)
    cfg.validate()
    if cfg.voice != "default" and cfg.voice not in VOICES:
        raise InputError(f"unknown --voice {cfg.voice!r}; choose one of: default, {', '.join(VOICES)}")
    return Stage("export", functools.partial(export, formats=fmts, cfg=cfg),
                 {"formats": list(fmts), "export": asdict(cfg)})


DESCRIBE = Stage("describe", describe)
DEFAULT_STAGES: tuple[Stage, ...] = (DESCRIBE,)
