"""``cinescribe batch``: the per-video pipeline over a film library, resumable and fault-isolated.

:func:`run_batch` finds the videos (:mod:`.inputs`), fingerprints each one, skips those
whose done marker (content fingerprint + configuration hash, :mod:`.markers`) exists,
and hands the rest to the workers of a backend (:mod:`.backends`: Ray actors, or local
processes when Ray is not installed).  A video that fails is retried, up to
``max_attempts`` attempts in all, unless its error is bad input (not a video, a truncated
file: retrying cannot help); then it is recorded as failed with its one-line error and
the batch goes on.  The report (:mod:`.report`) is rewritten after every video, so a
killed batch loses at most the videos in flight, and those resume from their slot
journals when the batch is started again.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from ..describe.pipeline import DescribeConfig
from ..atomic import check_writable
from ..errors import InputError
from ..export.formats import DESCRIBE_DEFAULT, describe_formats
from ..media.fingerprint import fingerprint
from ..media.probe import check_path
from ..progress import new_progress, progress_bar
from .backends import Backend, check_address, make_backend
from .inputs import BatchItem, find_videos, input_base, plan_outputs
from .jobs import Job, Outcome, config_key, job_key, one_line
from .markers import DoneMarkers
from .report import BatchReport, VideoRow
from .stages import DEFAULT_STAGES, Stage
from .worker import BatchSettings

log = logging.getLogger("cinescribe.scale")
BACKENDS = ("auto", "ray", "processes")
TICK = 0.2  # seconds between checks of the workers


@dataclass(frozen=True)
class BatchOptions:
    """How the batch runs (not what it writes: that is the describe config, formats and stages)."""

    backend: str = "auto"
    ray_address: str | None = None
    workers: int | None = None
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    max_attempts: int = 2
    cache: str | None = None  # feature store folder (None: the default, as for describe and extract)

    def validate(self) -> None:
        if self.backend not in BACKENDS:
            raise InputError(f"unknown --backend {self.backend!r}; choose one of: {', '.join(BACKENDS)}")
        if self.workers is not None and self.workers < 1:
            raise InputError(f"--workers must be 1 or more (got {self.workers})")
        if not self.cpus_per_worker > 0:
            raise InputError(f"--cpus-per-worker must be more than 0 (got {self.cpus_per_worker:g})")
        if self.gpus_per_worker < 0:
            raise InputError(f"--gpus-per-worker must be 0 or more (got {self.gpus_per_worker:g})")
        if self.max_attempts < 1:
            raise InputError(f"--max-attempts must be 1 or more (got {self.max_attempts})")


def run_batch(
    source: str | Path,
    root: str | Path,
    *,
    cfg: DescribeConfig = DescribeConfig(),
    formats: Sequence[str] = DESCRIBE_DEFAULT,
    stages: Sequence[Stage] = DEFAULT_STAGES,
    options: BatchOptions = BatchOptions(),
    show_progress: bool = True,
) -> BatchReport:
    """Process every video of ``source`` (a folder or a list file) into ``root``; see the module docstring.

    Bad batch input (no such folder, no videos, a bad option, an unwritable ``root``)
    raises :class:`InputError` before any work; a bad video only fails its own row.
    """
    options.validate()
    cfg.validate()
    formats = describe_formats(formats)
    stages = tuple(stages)
    check_address(options.ray_address)
    videos = find_videos(source)
    out = Path(root)
    created = not out.exists()
    check_writable(out)
    out = out.resolve()
    cfg_key = config_key(cfg, formats, [(s.name, s.config) for s in stages])
    start = time.perf_counter()
    base = input_base(source, videos)
    rows, jobs = _plan(plan_outputs(videos, out, base), out, cfg_key)
    report = BatchReport(out, base, rows, {
        "input": str(Path(source).resolve()),
        "config_key": cfg_key,
        "config": asdict(cfg),
        "formats": list(formats),
        "stages": [s.name for s in stages],
        "max_attempts": options.max_attempts,
    })
    backend = None
    if jobs:
        settings = BatchSettings(str(out), cfg, formats, stages, threads=max(1, math.floor(options.cpus_per_worker)),
                                 cache=options.cache)
        try:
            backend = make_backend(options.backend, settings, workers=options.workers, jobs=len(jobs),
                                   address=options.ray_address, cpus=options.cpus_per_worker,
                                   gpus=options.gpus_per_worker)
        except BaseException:
            if created and not any(out.iterdir()):
                out.rmdir()
            raise
        report.info.update(backend=backend.name, workers=backend.workers)
    report.save()
    if backend is not None:
        try:
            _drive(backend, jobs, report, options.max_attempts, start, show_progress)
        finally:
            backend.close()
    report.wall_seconds = time.perf_counter() - start
    report.save()
    report.save_table()
    return report


def _plan(items: list[BatchItem], root: Path, cfg_key: str) -> tuple[list[VideoRow], list[Job]]:
    """Report rows for all videos and jobs for those not yet done (unreadable files fail here)."""
    markers = DoneMarkers(root)
    rows: list[VideoRow] = []
    jobs: list[Job] = []
    with progress_bar("Fingerprinting", total=len(items)) as bar:
        for index, item in enumerate(items):
            row = VideoRow(str(item.video), str(item.outdir))
            rows.append(row)
            bar.advance()
            try:
                row.fingerprint = fingerprint(check_path(item.video))
            except (InputError, OSError) as exc:
                row.status, row.error = "failed", one_line(exc)
                log.warning(f"failed {item.video.name}: {row.error}")
                continue
            key = job_key(row.fingerprint, cfg_key)
            marker = markers.read(key)
            if marker is not None:
                row.status, row.outdir = "skipped", str(marker.get("outdir", row.outdir))
                row.video_seconds = float(marker.get("video_seconds", 0.0))
            else:
                jobs.append(Job(index, str(item.video), str(item.outdir), key))
    skipped = sum(r.status == "skipped" for r in rows)
    if skipped:
        log.info(f"{skipped} of {len(rows)} videos are already done with this configuration: skipped")
    return rows, jobs


def _drive(backend: Backend, jobs: list[Job], report: BatchReport, max_attempts: int, start: float,
           show_progress: bool) -> None:
    """Keep every worker busy until all jobs are done or failed for good."""
    rows = report.rows
    pending = deque(jobs)
    running: dict[int, Job] = {}
    total = len(rows)
    progress = new_progress(show_progress)
    bars: dict[int, int] = {}
    try:
        with progress:
            overall = progress.add_task("[bold]Batch", total=total, completed=total - len(jobs))
            while pending or running:
                busy_keys = {j.key for j in running.values()}
                while backend.idle() and pending:
                    job = next((j for j in pending if j.key not in busy_keys), None)
                    if job is None:
                        break
                    pending.remove(job)
                    busy_keys.add(job.key)
                    running[job.index] = job
                    row = rows[job.index]
                    row.status, row.attempts = "running", row.attempts + 1
                    backend.submit(job)
                    bars[job.index] = progress.add_task(f"  {Path(job.video).name}: queued", total=None)
                for index, stage in backend.events():
                    if index in bars:
                        row = rows[index]
                        progress.update(bars[index], description=f"  {Path(row.video).name}: {stage}"
                                        + (f" (attempt {row.attempts})" if row.attempts > 1 else ""))
                for outcome in backend.poll(TICK):
                    job = running.pop(outcome.index)
                    progress.remove_task(bars.pop(outcome.index))
                    if _record(rows[outcome.index], outcome, max_attempts):
                        pending.append(job)
                    else:
                        progress.advance(overall)
                        report.wall_seconds = time.perf_counter() - start
                    report.save()
    except BaseException:
        for index in running:
            rows[index].status = "pending"
        report.wall_seconds = time.perf_counter() - start
        report.save()
        raise


def _record(row: VideoRow, outcome: Outcome, max_attempts: int) -> bool:
    """Put ``outcome`` into ``row``; True if the video should be tried again."""
    name = Path(row.video).name
    row.seconds = round(row.seconds + outcome.seconds, 3)
    row.worker = outcome.worker
    if outcome.status != "failed":
        row.status, row.error = outcome.status, ""
        row.video_seconds, row.stage_seconds = outcome.video_seconds, outcome.stage_seconds
        if outcome.status == "done":
            log.info(f"done {name}: {outcome.video_seconds / 60:.1f} video-minutes in {outcome.seconds:.1f} s")
        else:
            row.outdir = outcome.outdir or row.outdir
            log.info(f"skipped {name}: the same video was finished meanwhile, into {row.outdir}")
        return False
    row.error = outcome.error
    if not outcome.permanent and row.attempts < max_attempts:
        log.warning(f"{name} failed ({outcome.error}); trying again (attempt {row.attempts + 1} of {max_attempts})")
        row.status = "pending"
        return True
    row.status = "failed"
    log.warning(f"failed {name}: {outcome.error}")
    return False
