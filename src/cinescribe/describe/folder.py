"""``describe`` into an output folder: the run key, the slot journal (resume), the AD-script JSON.

:func:`describe_to_folder` checks the folder first, so that a bad ``-o`` fails before any work;
an interrupted run keeps the slots it finished in its journal (:mod:`.journal`) and the next run
with the same key (video, subtitles, configuration, analysers, version, AD model weights) resumes
from them; the JSON is written atomically, and only when everything succeeded.  Every other
file (subtitles, TTML, audio) is the export stage's, made from this JSON.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..atomic import check_writable
from ..features.analysers.base import Analyser
from ..features.store import FeatureStore
from ..media.fingerprint import fingerprint
from ..media.probe import check_path as probe_path
from .document import JSON_SUFFIX, write_script
from .journal import SlotJournal, run_key
from .pipeline import DescribeConfig, TextModels, describe_video
from .script import ADScript


def describe_to_folder(
    video: str | Path,
    outdir: str | Path,
    *,
    subtitles: str | Path | None = None,
    cfg: DescribeConfig = DescribeConfig(),
    analysers: Sequence[Analyser] | None = None,
    store: FeatureStore | None = None,
    text_models: TextModels | None = None,
) -> tuple[ADScript, Path]:
    """Describe ``video`` into ``outdir/<name>.ad.json``; returns the script and the JSON's path."""
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
            from .learned import weights_hash

            parts["ad_model"] = weights_hash(cfg.model)
        journal = SlotJournal(out / f".{stem}.ad.journal.jsonl", run_key(parts))
        try:
            script = describe_video(video, subtitles=subtitles, cfg=cfg, analysers=analysers, journal=journal,
                                    store=store, text_models=text_models)
            path = write_script(script, out / f"{stem}{JSON_SUFFIX}")
        except BaseException:
            journal.remove_if_empty()  # an interrupted run keeps the slots it finished, to resume
            raise
        journal.remove()
        return script, path
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
