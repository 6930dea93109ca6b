"""Write an AD script's files into an output folder, each atomically; ``describe`` into a folder."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..atomic import write_json, write_text
from ..describe.journal import SlotJournal, run_key
from ..describe.pipeline import DescribeConfig, TextModels, describe_video
from ..describe.script import ADScript
from ..errors import InputError
from ..features.analysers.base import Analyser
from ..features.store import FeatureStore
from ..media.fingerprint import fingerprint
from ..media.probe import check_path as probe_path
from .srt import to_srt
from .transcript import dialogue_srt
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


def kept_tracks(path: Path, fingerprint_: str) -> list:
    """The score tracks (``classify predict --attach``) of the AD script at ``path`` when it is
    one of the same video: they measure the video, not its ADs, so a new script keeps them."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(old, dict) or old.get("video", {}).get("fingerprint") != fingerprint_:
        return []
    return [t for t in old.get("tracks", []) if isinstance(t, dict)]


def write_outputs(script: ADScript, outdir: Path, stem: str, formats: tuple[str, ...] = FORMATS) -> dict[str, Path]:
    """Write ``<stem>.ad.json``, ``<stem>.ad.vtt`` and ``<stem>.ad.srt`` (and, when dialogue was recognised
    and no subtitles were given, ``<stem>.subtitles.srt``); returns format -> path.
    A JSON that replaces one of the same video keeps its score tracks (:func:`kept_tracks`)."""
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
            doc = script.to_dict()
            tracks = kept_tracks(path, script.video.get("fingerprint"))
            write_json(path, {**doc, "tracks": tracks} if tracks else doc)
        else:
            write_text(path, texts[fmt]())
        paths[fmt] = path
    if script.transcript is not None and script.transcript.segments and not script.subtitles:
        paths["subtitles"] = write_text(outdir / f"{stem}.subtitles.srt", dialogue_srt(script.transcript))
    return paths


def describe_to_folder(
    video: str | Path,
    outdir: str | Path,
    *,
    subtitles: str | Path | None = None,
    cfg: DescribeConfig = DescribeConfig(),
    formats: Sequence[str] = FORMATS,
    analysers: Sequence[Analyser] | None = None,
    store: FeatureStore | None = None,
    text_models: TextModels | None = None,
) -> tuple[ADScript, dict[str, Path]]:
    """Describe ``video`` and write ``<name>.ad.{json,vtt,srt}`` into ``outdir``.

    The folder is checked for writing first, so that a bad ``-o`` fails before any work;
    the files are written only when everything succeeded, each atomically.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(f"unknown output format {unknown[0]!r}; choose from {', '.join(FORMATS)}" if unknown
                         else f"no output format given; choose from {', '.join(FORMATS)}")
    cfg.validate()
    out = Path(outdir)
    created = not out.exists()
    check_writable(out)
    stem = Path(video).stem
    try:
        parts = {
            "video": fingerprint(probe_path(video)),
            "subtitles": fingerprint(probe_path(subtitles)) if subtitles else None,
            "config": asdict(cfg),
            "analysers": [a.model_id for a in analysers] if analysers is not None else "default",
            "version": __version__,
        }
        if cfg.model:  # a model retrained into the same folder is another run
            from ..describe.learned import weights_hash

            parts["ad_model"] = weights_hash(cfg.model)
        journal = SlotJournal(out / f".{stem}.ad.journal.jsonl", run_key(parts))
        try:
            script = describe_video(video, subtitles=subtitles, cfg=cfg, analysers=analysers, journal=journal,
                                    store=store, text_models=text_models)
            paths = write_outputs(script, out, stem, tuple(formats))
        except BaseException:
            journal.remove_if_empty()  # an interrupted run keeps the slots it finished, to resume
            raise
        journal.remove()
        return script, paths
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
