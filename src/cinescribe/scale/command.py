"""The ``cinescribe batch`` command around :func:`~.batch.run_batch`: stages, summary table, exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..defaults import FEATURE_FPS, FEATURE_MAX_SIDE
from ..describe.pipeline import DescribeConfig
from ..export.pipeline import ExportConfig
from ..progress import console
from .batch import BatchOptions, run_batch
from .stages import DESCRIBE, Stage, export_stage, extract_stage

EXIT_OK = 0
EXIT_SOME_FAILED = 1


def batch_command(source: Path, out: Path, *, cfg: DescribeConfig, formats: Sequence[str], options: BatchOptions,
                  quiet: bool, extract: bool = False, encoder: str = "pixels", extract_fps: float = FEATURE_FPS,
                  extract_max_side: int = FEATURE_MAX_SIDE, export_formats: str = "", voice: str = "default") -> int:
    """Run the (extract ->) describe (-> export) batch; print its table unless ``quiet``; 0 if no video failed, else 1."""
    stages: list[Stage] = [extract_stage(encoder, extract_fps, extract_max_side)] if extract else []
    stages.append(DESCRIBE)
    if export_formats.strip():
        stages.append(export_stage(export_formats, ExportConfig(voice=voice)))
    report = run_batch(source, out, cfg=cfg, formats=formats, stages=stages, options=options, show_progress=not quiet)
    if not quiet:
        console.print(report.table())
        console.print(f"report: {report.path} ({report.throughput():.2f} video-minutes per wall-minute)",
                      highlight=False, soft_wrap=True)
    return EXIT_SOME_FAILED if report.failed else EXIT_OK
