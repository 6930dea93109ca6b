"""``export``: an AD-script JSON in, the files people read, hear and watch out.

The formats, their file names and what each needs are :data:`.formats.FORMATS`.
Every run also writes ``<stem>.ad.export.json``: the voice, the settings, how each AD was
fitted (:mod:`.tts`), the problems :mod:`.checks` found, the mix report and the files written.
The ADs marked ``extended`` are spoken only in ``extended`` (and listed, with their pauses, in the
subtitle formats): the other voiced formats cannot pause the picture, so they leave them out.
All input is checked before any voice or model is loaded (the JSON and its ADs by the rules the
review page applies, the video and that it is the one described, the output folder), so bad
input writes nothing; each file is written atomically.  The video is the one given, else the
one the JSON names, else the file of that name beside the JSON.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from ..atomic import check_writable, write_json, write_text
from ..describe.document import find_video, json_path, read_document, script_from_dict, stem_of
from ..describe.script import ADScript
from ..errors import InputError
from ..media.probe import probe
from .checks import REFUSED_BY_EXPORT, Problem, check_script as check_problems
from .extended import regular_script, write_extended_video
from .formats import FORMATS, UNVOICED, parse_formats
from .mix import MixConfig, leave_room_for_ramps, render
from .mux import check_language, mux_described
from .ttml import to_ttml
from .tts import FitConfig, speak_script
from .voices import load_voice
from .writeout import TEXTS

log = logging.getLogger("cinescribe.export")


@dataclass(frozen=True)
class ExportConfig:
    """Voice, fitting and mixing settings of one export; printed into the report."""

    voice: str = "default"
    language: str = "eng"
    fit: FitConfig = field(default_factory=FitConfig)
    mix: MixConfig = field(default_factory=MixConfig)

    def validate(self) -> None:
        self.fit.validate()
        self.mix.validate()
        check_language(self.language)


def _video(script: ADScript, source: Path, video: str | Path | None, formats: Sequence[str]) -> Path | None:
    if video is None and not any(FORMATS[f].needs_video for f in formats):
        return None
    needs = ", ".join(f for f in formats if FORMATS[f].needs_video)
    return find_video(script, source, video, f"formats {needs} need" if needs else "--video must be")


def check_script(path: Path, doc: dict) -> list[Problem]:
    """Refuse ``doc`` (read from ``path``) if it breaks a rule of :data:`REFUSED_BY_EXPORT`; return
    the other problems (:mod:`.checks`), for the caller to warn about once all input is checked."""
    problems = check_problems(doc)
    refused = [p for p in problems if p.kind in REFUSED_BY_EXPORT]
    if refused:
        more = f" (and {len(refused) - 1} more such problems)" if len(refused) > 1 else ""
        raise InputError(f"{path}: AD {refused[0].index}: {refused[0].message}{more}; correct the script "
                         "(cinescribe serve) before exporting")
    return problems


def export_script(
    source: str | Path,
    *,
    video: str | Path | None = None,
    outdir: str | Path | None = None,
    formats: Sequence[str] = ("vtt", "srt", "ttml", "wav"),
    cfg: ExportConfig = ExportConfig(),
) -> dict[str, Path]:
    """Export the AD script ``source`` (a ``.ad.json`` or its folder); returns format -> path."""
    formats = parse_formats(formats)
    cfg.validate()
    path = json_path(source)
    doc = read_document(path)
    script = script_from_dict(doc, str(path))
    problems = check_script(path, doc)
    programme = _video(script, path, video, formats)
    out = Path(outdir) if outdir is not None else path.parent
    check_writable(out)
    has_extended = any(d.extended for d in script.spoken)
    if "extended" in formats and not has_extended:
        raise InputError(f"{path}: no extended ADs to pause for; describe with --extended")
    for p in problems:
        log.warning(f"{path.name}: AD {p.index}: {p.message}")
    stem = stem_of(path)
    paths = {f: out / FORMATS[f].path_name(stem) for f in formats}
    voiced = any(FORMATS[f].voiced for f in formats)
    has_audio = bool(programme is not None and probe(programme, check_end=False).has_audio)

    spoken = None
    voice_id = None
    if voiced:
        voice = load_voice(cfg.voice)
        voice_id = voice.model_id
        spoken = speak_script(regular_script(script), voice, cfg.fit)
        leave_room_for_ramps(spoken, script.dialogue, cfg.mix.ramp)
        for s in spoken:
            if s.status in ("shortened", "skipped"):
                log.warning(f"AD {s.index} at {s.start:.2f} s does not fit its {s.window:.2f} s at rate "
                            f"{cfg.fit.max_rate}: {s.status}" + (f" to {s.spoken_text!r}" if s.spoken_text else
                                                                  "; shorten it in the review page"))
    for fmt in UNVOICED:
        if fmt in paths:
            write_text(paths[fmt], to_ttml(script, spoken, cfg.mix, language=_bcp47(cfg.language)) if fmt == "ttml"
                       else TEXTS[fmt](script))
    mix_report = extended_report = None
    if "extended" in paths:
        extended_report = write_extended_video(script, programme, paths["extended"], voice, cfg.fit, cfg.mix,
                                               fps=probe(programme, check_end=False).fps, has_audio=has_audio,
                                               language=cfg.language)
    if spoken is not None and any(f in paths for f in ("wav", "mix", "mp4", "mkv")):
        described = [f for f in ("mp4", "mkv") if f in paths]
        mix_path = paths.get("mix")
        fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".mix.wav.part", dir=out)
        os.close(fd)
        scratch = Path(name)
        try:
            if mix_path is None and described:
                mix_path = scratch
            duration = float(script.video.get("duration") or 0.0) or max((s.end for s in spoken), default=0.0)
            report = render(spoken, script.dialogue, duration, video=programme if has_audio else None,
                            ad_path=paths.get("wav"), mix_path=mix_path, cfg=cfg.mix)
            mix_report = report.to_dict()
            for fmt in described:
                mux_described(programme, mix_path, paths[fmt], has_audio=has_audio, language=cfg.language)
        finally:
            scratch.unlink(missing_ok=True)
    summary = {
        "source": str(path),
        "video": str(programme) if programme else None,
        "voice": voice_id,
        "config": asdict(cfg),
        "speech": [s.report() for s in spoken] if spoken is not None else [],
        "fitted": _counts(spoken),
        "problems": [{"index": p.index, "kind": p.kind, "message": p.message} for p in problems],
        "mix": mix_report,
        **({"extended": extended_report} if extended_report is not None else {}),
        "files": {f: str(p) for f, p in paths.items()},
    }
    paths["report"] = write_json(out / f"{stem}.ad.export.json", summary)
    return paths


def _counts(spoken) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in spoken or ():
        counts[s.status] = counts.get(s.status, 0) + 1
    return counts


def _bcp47(code: str) -> str:
    """``eng`` -> ``en`` for TTML's ``xml:lang`` (ISO 639-2 codes without a short form stay as they are)."""
    return {"eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "spa": "es", "ita": "it",
            "nld": "nl", "dut": "nl", "por": "pt", "swe": "sv", "jpn": "ja", "zho": "zh", "chi": "zh"}.get(code, code)
