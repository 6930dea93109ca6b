"""Plain data passed between the batch driver and its workers (picklable, no models)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .. import __version__
from ..describe.journal import run_key
from ..describe.pipeline import DescribeConfig


@dataclass(frozen=True)
class Job:
    """One video to process: its index in the batch, paths (absolute, as strings) and done-marker key."""

    index: int
    video: str
    outdir: str
    key: str


@dataclass
class Outcome:
    """What one attempt at a job came to.

    ``status`` is ``done`` (all stages ran), ``skipped`` (already done, found under the lock;
    ``outdir`` then names the folder that holds its outputs) or ``failed``; a failure is
    ``permanent`` when retrying cannot help (bad input, a missing model), and ``error`` is
    one line.
    """

    index: int
    status: str
    seconds: float = 0.0
    video_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    outdir: str = ""
    error: str = ""
    permanent: bool = False
    worker: str = ""


def config_key(cfg: DescribeConfig, formats: tuple[str, ...], stages: list[tuple[str, dict[str, Any]]]) -> str:
    """Hash of everything besides the video that decides what a job writes (stages: name, config)."""
    return run_key({"describe": asdict(cfg), "formats": sorted(formats), "stages": stages, "version": __version__})


def job_key(fingerprint: str, cfg_key: str) -> str:
    """Done-marker key: the video's content fingerprint and the configuration hash."""
    return f"{fingerprint.removeprefix('sha256:')[:32]}-{cfg_key[:16]}"


def one_line(exc: BaseException) -> str:
    """An exception as one short line (its type when the message says nothing)."""
    text = " ".join(str(exc).split())
    if not text:
        return type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
