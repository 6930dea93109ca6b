"""Extended AD deliverables: the programme with the picture held at each pause, and its timeline.

An extended AD (``AudioDescription.extended``) is spoken while playback pauses at ``pause_at`` for
``pause_s`` seconds.  Here:

* :func:`pauses_of`: the script's pauses, snapped to the video's frame grid (so that the held
  video and the padded audio have the same length, and nothing drifts after a pause);
* :func:`hold_frames`: ffmpeg cuts the programme at each pause, holds the last frame before it
  (``tpad=stop_mode=clone``) and pads the audio with silence (``apad``) for ``pause_s``, then joins
  the pieces (``concat``): picture and sound after each pause are both late by exactly the pauses
  before them;
* :func:`extended_script`: the script on that longer timeline: every time after a pause moves by the
  pauses before it, an extended AD sits inside its pause, a dialogue interval that a pause cuts is
  split around it.  Speaking, mixing and muxing it over the held video (:mod:`.pipeline`) gives
  ``<stem>.described.extended.mp4``.
* :func:`regular_script`: the script without its extended ADs, for the deliverables that cannot
  pause (the AD track, the mix, the plain described video).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from ..atomic import atomic_path
from ..describe.planner import Slot
from ..describe.script import ADScript
from ..errors import InputError, MissingDependencyError
from ..timeline import Interval


def pauses_of(script: ADScript, fps: float) -> list[tuple[float, float]]:
    """``(pause_at, pause_s)`` of the spoken extended ADs, in time order, on the ``fps`` frame grid."""
    grid = fps if fps and fps > 0 else 25.0
    snapped = {}
    for d in script.spoken:
        if d.extended and d.pause_at is not None and d.pause_s > 0:
            at = round(round(d.pause_at * grid) / grid, 6)
            snapped[at] = max(snapped.get(at, 0.0), round(max(1, round(d.pause_s * grid)) / grid, 6))
    return sorted(snapped.items())


def shift(t: float, pauses: list[tuple[float, float]]) -> float:
    """Programme time ``t`` on the extended timeline (a pause at ``t`` comes before ``t``)."""
    return t + sum(d for at, d in pauses if at <= t + 1e-9)


def _snap_at(t: float, pauses: list[tuple[float, float]]) -> tuple[float, float] | None:
    return min(pauses, key=lambda p: abs(p[0] - t)) if pauses else None


def extended_script(script: ADScript, pauses: list[tuple[float, float]]) -> ADScript:
    """``script`` on the extended timeline; see the module docstring."""
    descriptions = []
    for d in script.descriptions:
        if d.extended and d.pause_at is not None:
            at, length = _snap_at(d.pause_at, pauses) or (d.pause_at, d.pause_s)
            start = at + sum(p for a, p in pauses if a < at - 1e-9)
            slot = Slot(d.slot.index, round(start, 6), round(start + length, 6), d.slot.word_budget)
        else:
            slot = replace(d.slot, start=shift(d.slot.start, pauses), end=shift(d.slot.end, pauses))
        descriptions.append(replace(d, slot=slot))
    dialogue = []
    for iv in script.dialogue:
        cuts = [at for at, _ in pauses if iv.start < at < iv.end]
        edges = [iv.start, *cuts, iv.end]
        for a, b in zip(edges, edges[1:]):
            dialogue.append(Interval(shift(a, pauses), b + sum(p for at, p in pauses if at < b - 1e-9)))
    video = {**script.video, "duration": float(script.video.get("duration") or 0.0) + sum(p for _, p in pauses)}
    return replace(script, descriptions=descriptions, dialogue=dialogue, video=video)


def regular_script(script: ADScript) -> ADScript:
    """``script`` without its extended ADs."""
    return replace(script, descriptions=[d for d in script.descriptions if not d.extended])


def hold_frames(video: Path, pauses: list[tuple[float, float]], out: Path, *, has_audio: bool) -> Path:
    """Write ``out`` (MP4): ``video`` with its picture held and its sound silent during each pause."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise MissingDependencyError("the extended described video needs ffmpeg: apt-get install ffmpeg")
    edges = [0.0, *(at for at, _ in pauses)]
    parts, labels = [], []
    for i, start in enumerate(edges):
        end = f":end={edges[i + 1]}" if i + 1 < len(edges) else ""
        hold = pauses[i][1] if i < len(pauses) else 0.0
        pad = f",tpad=stop_mode=clone:stop_duration={hold}" if hold else ""
        parts.append(f"[0:v]trim=start={start}{end},setpts=PTS-STARTPTS{pad}[v{i}]")
        labels.append(f"[v{i}]")
        if has_audio:
            apad = f",apad=pad_dur={hold}" if hold else ""
            parts.append(f"[0:a]atrim=start={start}{end},asetpts=PTS-STARTPTS{apad}[a{i}]")
            labels.append(f"[a{i}]")
    parts.append("".join(labels) + f"concat=n={len(edges)}:v=1:a={1 if has_audio else 0}"
                 + ("[v][a]" if has_audio else "[v]"))
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(video), "-filter_complex", ";".join(parts),
           "-map", "[v]", *(["-map", "[a]", "-c:a", "aac", "-b:a", "192k"] if has_audio else []),
           "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-f", "mp4"]
    with atomic_path(out) as tmp:
        done = subprocess.run([*cmd, str(tmp)], capture_output=True, text=True)
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "ffmpeg failed"
            raise InputError(f"cannot write the extended video {out}: {last}")
    return out


def write_extended_video(script: ADScript, programme: Path, out: Path, voice, fit, mix_cfg, *, fps: float,
                         has_audio: bool, language: str) -> dict:
    """Write ``out``: the held programme (:func:`hold_frames`) with the AD of :func:`extended_script`
    mixed in as its AD track; returns the pauses and the mix report."""
    from .mix import leave_room_for_ramps, render
    from .mux import mux_described
    from .tts import speak_script

    pauses = pauses_of(script, fps)
    ext = extended_script(script, pauses)
    held = out.with_name(f".{out.name}.held.mp4")
    mix = out.with_name(f".{out.name}.mix.wav")
    try:
        hold_frames(programme, pauses, held, has_audio=has_audio)
        spoken = speak_script(ext, voice, fit)
        leave_room_for_ramps(spoken, ext.dialogue, mix_cfg.ramp)
        report = render(spoken, ext.dialogue, float(ext.video["duration"]), video=held if has_audio else None,
                        mix_path=mix, cfg=mix_cfg)
        mux_described(held, mix, out, has_audio=has_audio, language=language)
    finally:
        held.unlink(missing_ok=True)
        mix.unlink(missing_ok=True)
    return {"pauses": [{"at": at, "seconds": s} for at, s in pauses], "mix": report.to_dict(),
            "speech": [s.report() for s in spoken]}
