"""The AD-only track and the programme sound ducked under each AD with the AD mixed in.

**Ducking.** Under each voiced AD (``[start, start + speech length)``) the programme is
lowered by ``duck_db`` (-12 dB by default).  The gain moves in the dB domain along a
raised-cosine ramp of ``ramp`` seconds (0.3 s): down before the AD starts, so that the
programme is fully ducked when the voice begins, and back up after it ends.  A ramp never
reaches into dialogue: it is shortened to the gap between the AD and the neighbouring
dialogue interval.  Where ramps of two ADs meet, the deeper duck wins (no pumping).

    depth(t) = 1                                        inside the AD
             = (1 - cos(pi * (t - (s - r_in)) / r_in)) / 2    on the ramp down
             = (1 + cos(pi * (t - e) / r_out)) / 2            on the ramp up
    gain(t)  = 10 ** (duck_db * max_over_ADs depth(t) / 20)

**Mix.** ``mixed = programme * gain + ad_gain * pan(ad)``, stereo at ``sample_rate``,
with constant-power panning ``(cos((pan+1)pi/4), sin((pan+1)pi/4))``.  Samples beyond
+-1 are clipped and counted in the report.

Everything streams in blocks of ``BLOCK`` seconds (programme decoded by ffmpeg), so
memory does not grow with the film's length.  Outputs are 16-bit PCM WAV files, written
atomically: the AD-only track is mono, the mix stereo, both exactly the video's duration.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import wave
from bisect import bisect_left
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..atomic import atomic_path
from ..errors import InputError, MissingDependencyError
from ..media.audio import resample
from ..progress import progress_bar
from ..timeline import Interval
from .tts import Spoken

BLOCK = 5.0  # seconds per streamed block


@dataclass(frozen=True)
class MixConfig:
    """Ducking depth and ramp, AD level and pan, output sample rate."""

    duck_db: float = -12.0
    ramp: float = 0.3
    ad_gain_db: float = 0.0
    pan: float = 0.0
    sample_rate: int = 48000

    def validate(self) -> None:
        if not -60.0 <= self.duck_db <= 0.0:
            raise InputError(f"--duck-db must be between -60 and 0 (got {self.duck_db})")
        if not 0.01 <= self.ramp <= 2.0:
            raise InputError(f"--ramp must be between 0.01 and 2 seconds (got {self.ramp})")
        if not -30.0 <= self.ad_gain_db <= 12.0:
            raise InputError(f"--ad-gain-db must be between -30 and 12 (got {self.ad_gain_db})")
        if not -1.0 <= self.pan <= 1.0:
            raise InputError(f"--pan must be between -1 (left) and 1 (right) (got {self.pan})")
        if self.sample_rate not in (44100, 48000):
            raise InputError(f"sample rate must be 44100 or 48000 (got {self.sample_rate})")


@dataclass(frozen=True)
class Duck:
    """One ducked span: fully down on ``[start, end)``, ramps of ``ramp_in``/``ramp_out`` seconds."""

    start: float
    end: float
    ramp_in: float
    ramp_out: float


def voiced_spans(spoken: Sequence[Spoken]) -> list[Interval]:
    """``[start, end)`` of each voiced AD."""
    return [Interval(s.start, s.end) for s in spoken if s.duration > 0]


def duck_spans(speech: Sequence[Interval], dialogue: Sequence[Interval], ramp: float) -> list[Duck]:
    """The ducks of the AD ``speech`` spans, ramps shortened so they stay out of ``dialogue``."""
    ducks = []
    for s in speech:
        before = max((iv.end for iv in dialogue if iv.end <= s.start), default=0.0)
        after = min((iv.start for iv in dialogue if iv.start >= s.end), default=math.inf)
        ducks.append(Duck(s.start, s.end, max(0.0, min(ramp, s.start - before)), max(0.0, min(ramp, after - s.end))))
    return ducks


def leave_room_for_ramps(spoken: Sequence[Spoken], dialogue: Sequence[Interval], ramp: float) -> None:
    """Delay each voiced AD, within its window's slack, until a full ``ramp`` fits after the dialogue before it.

    The planner starts slots ``speech_margin`` (0.1 s) after dialogue; a 0.3 s ramp down
    needs the voice to start a little later, which most slots have time for.
    """
    for s in spoken:
        if s.duration <= 0:
            continue
        before = max((iv.end for iv in dialogue if iv.end <= s.start), default=0.0)
        wanted = max(0.0, ramp - (s.start - before))
        s.start += min(wanted, max(0.0, s.window - s.duration))


def duck_depth(times: np.ndarray, duck: Duck) -> np.ndarray:
    """``(n,)`` depth in [0, 1] of one duck at ``times`` (seconds); the module docstring's formula."""
    depth = ((times >= duck.start) & (times < duck.end)).astype(np.float64)
    if duck.ramp_in > 0:
        on = (times >= duck.start - duck.ramp_in) & (times < duck.start)
        depth[on] = 0.5 * (1 - np.cos(np.pi * (times[on] - (duck.start - duck.ramp_in)) / duck.ramp_in))
    if duck.ramp_out > 0:
        off = (times >= duck.end) & (times < duck.end + duck.ramp_out)
        depth[off] = 0.5 * (1 + np.cos(np.pi * (times[off] - duck.end) / duck.ramp_out))
    return depth


def duck_gain(times: np.ndarray, ducks: Sequence[Duck], duck_db: float) -> np.ndarray:
    """``(n,)`` linear programme gain at ``times`` (sorted seconds) under ``ducks``."""
    depth = np.zeros(len(times))
    if len(times) == 0:
        return depth + 1.0
    lo, hi = times[0], times[-1]
    for d in ducks:
        if d.end + d.ramp_out >= lo and d.start - d.ramp_in <= hi:
            np.maximum(depth, duck_depth(times, d), out=depth)
    return 10.0 ** (duck_db * depth / 20.0)



class ADTrack:
    """The voiced ADs placed on the timeline at ``sample_rate``; :meth:`block` renders any span."""

    def __init__(self, spoken: Sequence[Spoken], sample_rate: int) -> None:
        self.clips = sorted(((int(round(s.start * sample_rate)), resample(s.audio, s.sample_rate, sample_rate))
                             for s in spoken if s.duration > 0), key=lambda c: c[0])
        self._starts = [c[0] for c in self.clips]
        self._longest = max((len(c[1]) for c in self.clips), default=0)

    def block(self, first: int, n: int) -> np.ndarray:
        """``(n,)`` float32: the AD samples ``first .. first + n``."""
        out = np.zeros(n, dtype=np.float32)
        for start, clip in self.clips[bisect_left(self._starts, first - self._longest):]:
            if start >= first + n:
                break
            a, b = max(start, first), min(start + len(clip), first + n)
            if a < b:
                out[a - first:b - first] += clip[a - start:b - start]
        return out


def programme_blocks(video: Path | None, sample_rate: int, block: int) -> Iterator[np.ndarray]:
    """``(block, 2)`` float32 stereo blocks of the video's first audio stream, then silence forever."""
    if video is not None:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise MissingDependencyError("mixing needs ffmpeg: apt-get install ffmpeg (or run `make setup`)")
        cmd = [ffmpeg, "-nostdin", "-v", "error", "-i", str(video), "-map", "0:a:0", "-vn",
               "-af", "aresample=async=1:first_pts=0", "-ac", "2", "-ar", str(sample_rate), "-f", "f32le", "-"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            while True:
                data = proc.stdout.read(block * 8)
                if not data:
                    break
                samples = np.frombuffer(data[: len(data) // 8 * 8], dtype="<f4").reshape(-1, 2)
                yield np.pad(samples, ((0, block - len(samples)), (0, 0)))
            err = proc.stderr.read().decode(errors="replace").strip()
            if proc.wait() != 0:
                raise InputError(f"{video}: cannot decode its audio ({err.splitlines()[-1] if err else 'ffmpeg failed'})")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    while True:
        yield np.zeros((block, 2), dtype=np.float32)


@dataclass
class MixReport:
    """What :func:`render` wrote and how often it had to clip."""

    duration_s: float
    sample_rate: int
    ducked_s: float
    clipped_samples: int

    def to_dict(self) -> dict:
        return {"duration_s": round(self.duration_s, 3), "sample_rate": self.sample_rate,
                "ducked_s": round(self.ducked_s, 3), "clipped_samples": self.clipped_samples}


def _pcm16(x: np.ndarray) -> tuple[bytes, int]:
    clipped = int(np.count_nonzero(np.abs(x) > 1.0))
    return (np.clip(x, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes(), clipped


def render(
    spoken: Sequence[Spoken],
    dialogue: Sequence[Interval],
    duration: float,
    *,
    video: Path | None,
    ad_path: Path | None = None,
    mix_path: Path | None = None,
    cfg: MixConfig = MixConfig(),
) -> MixReport:
    """Write the AD-only WAV (``ad_path``) and/or the mixed WAV (``mix_path``) of ``duration`` seconds.

    ``video`` is the programme whose first audio stream is ducked (None: silence).
    """
    cfg.validate()
    rate = cfg.sample_rate
    total = int(round(duration * rate))
    block = int(BLOCK * rate)
    track = ADTrack(spoken, rate)
    ducks = duck_spans(voiced_spans(spoken), dialogue, cfg.ramp)
    ad_gain = 10.0 ** (cfg.ad_gain_db / 20.0)
    angle = (cfg.pan + 1.0) * math.pi / 4.0
    pan = np.array([math.cos(angle), math.sin(angle)], dtype=np.float32)
    clipped = 0
    with ExitStack() as stack:
        writers = []
        for path, channels in ((ad_path, 1), (mix_path, 2)):
            if path is None:
                writers.append(None)
                continue
            w = wave.open(str(stack.enter_context(atomic_path(path))), "wb")
            stack.callback(w.close)
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(rate)
            writers.append(w)
        ad_writer, mix_writer = writers
        blocks = programme_blocks(video if mix_path is not None else None, rate, block)
        with progress_bar("Mixing audio", total=round(duration, 1)) as bar:
            for first in range(0, total, block):
                n = min(block, total - first)
                ad = track.block(first, n) * ad_gain
                if ad_writer is not None:
                    pcm, c = _pcm16(ad)
                    ad_writer.writeframes(pcm)
                    clipped += c
                if mix_writer is not None:
                    programme = next(blocks)[:n]
                    gain = duck_gain((first + np.arange(n)) / rate, ducks, cfg.duck_db).astype(np.float32)
                    pcm, c = _pcm16(programme * gain[:, None] + ad[:, None] * pan[None, :])
                    mix_writer.writeframes(pcm)
                    clipped += c
                bar.update(round((first + n) / rate, 1))
        blocks.close()
    return MixReport(total / rate, rate, sum(d.end - d.start for d in ducks), clipped)
