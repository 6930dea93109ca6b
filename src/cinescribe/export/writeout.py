"""Write an AD script's files into an output folder, each atomically."""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import write_json, write_text
from ..describe.script import ADScript
from ..errors import InputError
from .srt import to_srt
from .webvtt import to_webvtt

FORMATS = ("json", "vtt", "srt")


def check_writable(outdir: Path) -> None:
    """Create ``outdir`` if needed and prove a file can be written there; InputError if not."""
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"output path {outdir} is not a folder; choose another -o")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output folder {outdir}: {exc.strerror}; choose another -o") from None
    probe = outdir / f".cinescribe-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"cannot write to output folder {outdir}: {exc.strerror}; choose another -o") from None


def write_outputs(script: ADScript, outdir: Path, stem: str, formats: tuple[str, ...] = FORMATS) -> dict[str, Path]:
    """Write ``<stem>.ad.json``, ``<stem>.ad.vtt`` and ``<stem>.ad.srt``; returns format -> path."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError(f"unknown output format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    texts = {
        "vtt": lambda: to_webvtt(script),
        "srt": lambda: to_srt(script),
    }
    paths: dict[str, Path] = {}
    for fmt in formats:
        path = outdir / f"{stem}.ad.{fmt}"
        if fmt == "json":
            write_json(path, script.to_dict())
        else:
            write_text(path, texts[fmt]())
        paths[fmt] = path
    return paths
