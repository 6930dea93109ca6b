"""The ``export`` and ``serve`` commands' work, called by :mod:`cinescribe.cli`."""

from __future__ import annotations

from pathlib import Path

from ..progress import console
from .mix import MixConfig
from .formats import parse_formats
from .pipeline import ExportConfig, export_script
from .tts import FitConfig


def export_command(script: Path, *, video: Path | None, out: Path | None, formats: str, voice: str, max_rate: float,
                   duck_db: float, ramp: float, ad_gain_db: float, pan: float, language: str, quiet: bool) -> None:
    """Export ``script`` and print what was written."""
    cfg = ExportConfig(voice=voice, language=language, fit=FitConfig(max_rate=max_rate),
                       mix=MixConfig(duck_db=duck_db, ramp=ramp, ad_gain_db=ad_gain_db, pan=pan))
    paths = export_script(script, video=video, outdir=out, formats=parse_formats(formats), cfg=cfg)
    if not quiet:
        for fmt, path in paths.items():
            console.print(f"[green]wrote[/] {fmt:>6}: {path}", highlight=False)


def serve_command(folder: Path, *, port: int, video: Path | None, formats: str, voice: str) -> None:
    """Check the inputs, then serve the review page until Ctrl+C."""
    from .review.server import Review, serve

    review = Review(folder, video=video, formats=parse_formats(formats), cfg=ExportConfig(voice=voice))

    def ready(url: str) -> None:
        console.print(f"Review page for {review.path.name}: [bold]{url}[/] (localhost only; Ctrl+C to stop)",
                      highlight=False)

    serve(review, port, ready)
