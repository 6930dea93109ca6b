"""Generated media: THE demo video and small test videos with known ground truth.

Nothing is committed or downloaded: pictures come from scikit-image's bundled sample
images (``skimage/data``), speech from ``espeak-ng`` and encoding from ``ffmpeg``.

* :func:`make_demo_video` -> :class:`DemoInfo`: a ~50 s 640x360 H.264/AAC MP4 with a
  title card, eight photo shots with slow pan/zoom (including an A/B/A shot-reverse-shot
  pattern), a fade to black, and espeak-ng speech lines at known times over a quiet
  background tone and noise.  Gaps between lines include some >= 3 s and some < 1.2 s.
* :func:`make_test_video` -> :class:`DemoInfo`: small, fast (<~1 s) videos for tests
  with given speech lines and shots; optionally without audio or without video.

The audio track is built in numpy (fixed-seed noise, so output is deterministic) and
each espeak clip is trimmed to its voiced samples, so ``DemoInfo.speech`` holds the
exact spans where speech is audible.  ``DemoInfo.cuts`` are the visible hard cuts between
shots (a cut out of a faded-out shot or into a fading-in one is not listed).  Missing ffmpeg/espeak-ng raise :class:`MissingDependencyError`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import InputError, MissingDependencyError
from .media.audio import resample
from .timeline import Interval

_INSTALL = "install them with: apt-get install ffmpeg espeak-ng"
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
)
AUDIO_RATE = 22050  # espeak-ng's native rate; ffmpeg resamples for AAC


@dataclass(frozen=True)
class ShotSpec:
    """One shot of a generated video.

    ``source`` is a colour name (``"red"``, ``"#336699"``), a scikit-image sample name
    (``"astronaut"``, ``"chelsea"``, ``"coffee"``, ``"motorcycle_left"``, ``"camera"``,
    ``"rocket"``) or ``"title:Some text"`` for a text card.  ``motion`` is ``"none"``,
    ``"pan"`` or ``"zoom"``; ``fade_in``/``fade_out`` are fade-from/to-black seconds.
    """

    source: str
    duration: float
    motion: str = "none"
    fade_in: float = 0.0
    fade_out: float = 0.0
    label: str = ""


@dataclass
class DemoInfo:
    """Ground truth of a generated video (all times in seconds)."""

    path: Path
    duration: float
    size: tuple[int, int]
    fps: int
    speech: list[Interval] = field(default_factory=list)
    lines: list[tuple[Interval, str]] = field(default_factory=list)
    cuts: list[float] = field(default_factory=list)
    shots: list[tuple[Interval, str]] = field(default_factory=list)
    has_audio: bool = True
    has_video: bool = True


def _require(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        raise MissingDependencyError(f"{tool} is not installed; {_INSTALL}")
    return exe


def skimage_image(name: str) -> Path:
    """Path of a sample image bundled with scikit-image (``name`` without extension)."""
    try:
        import skimage.data
    except ImportError as exc:  # pragma: no cover - dependency check
        raise MissingDependencyError("scikit-image is not installed; pip install scikit-image") from exc
    folder = Path(os.path.dirname(skimage.data.__file__))
    for ext in (".png", ".jpg"):
        if (folder / f"{name}{ext}").is_file():
            return folder / f"{name}{ext}"
    raise InputError(f"no scikit-image sample image named {name!r} in {folder}")


def sample_photo(name: str) -> np.ndarray:
    """A scikit-image sample photo (``"astronaut.png"`` or ``"astronaut"``) as RGB uint8 ``(h, w, 3)``."""
    from skimage import io

    img = io.imread(skimage_image(Path(name).stem))
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


def text_card(lines: list[str], size: tuple[int, int] = (640, 360)) -> np.ndarray:
    """Light ``lines`` centred on a near-black card, as RGB uint8 ``(h, w, 3)`` (DejaVu Sans Bold 36
    when installed, else Pillow's default font)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", size, (10, 10, 10))
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 36)
    except OSError:
        font = ImageFont.load_default(size=36)
    y = 110
    for line in lines:
        w = draw.textlength(line, font=font)
        draw.text(((size[0] - w) / 2, y), line, fill=(240, 240, 240), font=font)
        y += 70
    return np.asarray(img)


def _font() -> str | None:
    return next((f for f in _FONT_CANDIDATES if os.path.isfile(f)), None)


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} failed: {proc.stderr.strip()[-800:]}")


def _speak(text: str, workdir: Path, n: int, voice: str = "en-us") -> np.ndarray:
    """espeak-ng ``text`` in ``voice`` (an espeak-ng voice, optionally ``+variant``) -> float32 mono
    at AUDIO_RATE, trimmed to its voiced samples."""
    out = workdir / f"line{n}.wav"
    _run([_require("espeak-ng"), "-v", voice, "-s", "160", "-w", str(out), text])
    with wave.open(str(out)) as w:
        rate, width, ch = w.getframerate(), w.getsampwidth(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    if width != 2 or ch != 1:
        raise RuntimeError(f"unexpected espeak-ng WAV format ({width * 8} bit, {ch} ch)")
    x = data.astype(np.float32) / 32768.0
    x = resample(x, rate, AUDIO_RATE)  # espeak-ng's rate is 22050 Hz already
    loud = np.flatnonzero(np.abs(x) > 0.01)
    if len(loud) == 0:
        raise RuntimeError(f"espeak-ng produced silence for {text!r}")
    return x[loud[0] : loud[-1] + 1]


def _audio_track(
    duration: float, speech: Sequence[tuple[float, str] | tuple[float, str, str]], workdir: Path, background: float
) -> tuple[np.ndarray, list[tuple[Interval, str]]]:
    n = int(round(duration * AUDIO_RATE))
    rng = np.random.default_rng(1234)
    t = np.arange(n) / AUDIO_RATE
    track = background * (0.5 * np.sin(2 * np.pi * 110.0 * t) + 0.5 * rng.standard_normal(n))
    track = track.astype(np.float32)
    lines: list[tuple[Interval, str]] = []
    cursor = 0.0
    for i, (start, text, *voice) in enumerate(sorted(speech)):
        clip = _speak(text, workdir, i, *voice)
        start = max(start, cursor)
        s0 = int(round(start * AUDIO_RATE))
        if s0 + len(clip) > n:  # does not fit before the end: drop the line
            continue
        track[s0 : s0 + len(clip)] += 0.8 * clip / max(1e-6, float(np.abs(clip).max()))
        iv = Interval(s0 / AUDIO_RATE, (s0 + len(clip)) / AUDIO_RATE)
        lines.append((iv, text))
        cursor = iv.end + 0.3
    return np.clip(track, -1.0, 1.0), lines


def _write_wav(path: Path, x: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(AUDIO_RATE)
        w.writeframes((x * 32767).astype("<i2").tobytes())


def _escape_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\u2019").replace("%", "\\%")


def _title_png(text: str, size: tuple[int, int], out: Path) -> Path:
    """Fallback title card rendered with Pillow (used when no DejaVu font exists)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", size, (32, 40, 72))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=max(12, size[1] // 9))
    box = draw.textbbox((0, 0), text, font=font)
    xy = ((size[0] - (box[2] - box[0])) // 2, (size[1] - (box[3] - box[1])) // 2)
    draw.text(xy, text, fill=(255, 255, 255), font=font)
    img.save(out)
    return out


def _shot_input(shot: ShotSpec, size: tuple[int, int], fps: int, workdir: Path, n: int) -> tuple[list[str], str]:
    """ffmpeg input args and the filter chain (without labels) for one shot."""
    w, h = size
    d = shot.duration
    if shot.source.startswith("title:"):
        text = shot.source[len("title:") :]
        font = _font()
        if font is None:
            png = _title_png(text, size, workdir / f"title{n}.png")
            args = ["-loop", "1", "-framerate", str(fps), "-t", f"{d:.3f}", "-i", str(png)]
            chain = f"scale={w}:{h}"
        else:
            args = ["-f", "lavfi", "-i", f"color=c=0x202848:s={w}x{h}:r={fps}:d={d:.3f}"]
            chain = (
                f"drawtext=fontfile={font}:text='{_escape_text(text)}':fontcolor=white:"
                f"fontsize={h // 9}:x=(w-text_w)/2:y=(h-text_h)/2"
            )
    elif shot.source.startswith("#") or shot.source.isalpha() and not _is_image(shot.source):
        colour = shot.source.replace("#", "0x")
        args = ["-f", "lavfi", "-i", f"color=c={colour}:s={w}x{h}:r={fps}:d={d:.3f}"]
        chain = "null"
    else:
        img = skimage_image(shot.source)
        args = ["-loop", "1", "-framerate", str(fps), "-t", f"{d:.3f}", "-i", str(img)]
        # cover the frame with a 15% margin (cropping tall pictures near the top, where
        # faces are), then move a crop window over it
        cw, ch = int(w * 1.15) // 2 * 2, int(h * 1.15) // 2 * 2
        cover = f"scale={cw}:{ch}:force_original_aspect_ratio=increase,crop={cw}:{ch}:(iw-{cw})/2:(ih-{ch})/8"
        if shot.motion == "pan":
            chain = f"{cover},crop={w}:{h}:x='(iw-{w})*t/{d:.3f}':y='(ih-{h})/3'"
        elif shot.motion == "zoom":
            chain = (
                f"{cover},scale=w='{cw}*(1+0.15*t/{d:.3f})':h=-2:eval=frame,"
                f"crop={w}:{h}:x='(iw-{w})/2':y='(ih-{h})/3'"
            )
        else:
            chain = f"{cover},crop={w}:{h}:(iw-{w})/2:(ih-{h})/3"
    return args, chain


def _is_image(name: str) -> bool:
    try:
        skimage_image(name)
        return True
    except (InputError, MissingDependencyError):
        return False


def _encode(
    path: Path,
    shots: Sequence[ShotSpec],
    audio_wav: Path | None,
    size: tuple[int, int],
    fps: int,
    preset: str,
    workdir: Path,
    duration: float,
) -> None:
    ffmpeg = _require("ffmpeg")
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-y"]
    filters: list[str] = []
    for n, shot in enumerate(shots):
        args, chain = _shot_input(shot, size, fps, workdir, n)
        cmd += args
        fades = ""
        if shot.fade_in > 0:
            fades += f",fade=t=in:st=0:d={shot.fade_in:.3f}"
        if shot.fade_out > 0:
            fades += f",fade=t=out:st={shot.duration - shot.fade_out:.3f}:d={shot.fade_out:.3f}"
        filters.append(
            f"[{n}:v]{chain},fps={fps},setsar=1,format=yuv420p,"
            f"trim=duration={shot.duration:.3f},setpts=PTS-STARTPTS{fades}[v{n}]"
        )
    maps: list[str] = []
    if shots:
        concat = "".join(f"[v{n}]" for n in range(len(shots)))
        filters.append(f"{concat}concat=n={len(shots)}:v=1:a=0[vout]")
        maps += ["-map", "[vout]", "-c:v", "libx264", "-preset", preset, "-crf", "23",
                 "-pix_fmt", "yuv420p", "-r", str(fps)]
    if audio_wav is not None:
        cmd += ["-i", str(audio_wav)]
        maps += ["-map", f"{len(shots)}:a", "-c:a", "aac", "-b:a", "96k", "-ar", "44100"]
    if filters:
        cmd += ["-filter_complex", ";".join(filters)]
    cmd += maps + ["-t", f"{duration:.3f}", "-movflags", "+faststart", str(path)]
    _run(cmd)


def _generate(
    path: str | os.PathLike[str],
    shots: Sequence[ShotSpec],
    speech: Sequence[tuple[float, str] | tuple[float, str, str]],
    *,
    audio: bool,
    video: bool,
    size: tuple[int, int],
    fps: int,
    preset: str,
    background: float,
) -> DemoInfo:
    if not video and not audio:
        raise ValueError("a generated file needs video or audio")
    _require("ffmpeg")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    duration = float(sum(s.duration for s in shots))
    info = DemoInfo(path=out, duration=duration, size=size, fps=fps, has_audio=audio, has_video=video)
    t = 0.0
    for i, s in enumerate(shots):
        info.shots.append((Interval(t, t + s.duration), s.label or s.source))
        if i > 0 and shots[i - 1].fade_out == 0 and s.fade_in == 0:
            info.cuts.append(t)  # a cut out of a fade-out or into a fade-in is invisible
        t += s.duration
    with tempfile.TemporaryDirectory(prefix="cinescribe-gen-") as tmp:
        work = Path(tmp)
        wav = None
        if audio:
            track, info.lines = _audio_track(duration, speech, work, background)
            info.speech = [iv for iv, _ in info.lines]
            wav = work / "track.wav"
            _write_wav(wav, track)
        _encode(out, shots if video else [], wav, size, fps, preset, work, duration)
    if not video:
        info.cuts, info.shots = [], []
    return info


def make_test_video(
    path: str | os.PathLike[str],
    *,
    speech: Sequence[tuple[float, str] | tuple[float, str, str]] = (),
    shots: Sequence[ShotSpec | tuple[str, float]] = (("#3060c0", 2.0),),
    duration: float | None = None,
    audio: bool = True,
    video: bool = True,
    size: tuple[int, int] = (320, 180),
    fps: int = 25,
    background: float = 0.003,
) -> DemoInfo:
    """A small video with known speech intervals and cut times (for tests).

    ``speech`` holds ``(start, text)`` or ``(start, text, espeak-ng voice)`` lines (default voice
    ``en-us``).  ``shots`` are :class:`ShotSpec` or ``(source, seconds)`` pairs; ``duration``, if
    given, stretches/shrinks the last shot so the file lasts that long.  With
    ``video=False`` an audio-only file is written (use an ``.m4a`` name).
    """
    specs = [s if isinstance(s, ShotSpec) else ShotSpec(s[0], float(s[1])) for s in shots]
    if duration is not None:
        rest = duration - sum(s.duration for s in specs[:-1])
        if rest <= 0:
            raise ValueError("duration is shorter than the shots before the last one")
        last = specs[-1]
        specs[-1] = ShotSpec(last.source, rest, last.motion, last.fade_in, last.fade_out, last.label)
    return _generate(path, specs, speech, audio=audio, video=video, size=size, fps=fps,
                     preset="ultrafast", background=background)


DEMO_SHOTS: tuple[ShotSpec, ...] = (
    ShotSpec("title:cinescribe demo", 5.0, fade_in=1.0, label="title card: 'cinescribe demo'"),
    ShotSpec("astronaut", 6.0, "zoom", label="astronaut portrait in a spacesuit"),
    ShotSpec("coffee", 5.0, "pan", label="cup of coffee on a saucer"),
    ShotSpec("astronaut", 4.0, "none", label="astronaut portrait again (reverse shot)"),
    ShotSpec("chelsea", 7.0, "zoom", label="tabby cat"),
    ShotSpec("motorcycle_left", 6.0, "pan", label="motorcycle in a garage"),
    ShotSpec("camera", 5.0, "zoom", label="man with a camera on a tripod (grey)"),
    ShotSpec("rocket", 9.0, "zoom", fade_out=2.5, label="rocket on the launch pad, fading to black"),
    ShotSpec("black", 2.0, label="black"),
)

DEMO_SPEECH: tuple[tuple[float, str], ...] = (
    (6.0, "Houston, we are ready for the photo session."),
    (9.3, "Copy that."),  # short gap (< 1.2 s) after the first line
    (16.0, "Is that coffee still warm?"),
    (20.5, "It was, an hour ago."),
    (29.0, "The cat has been asleep all day."),  # long gap before it
    (39.5, "Nice bike. Who does it belong to?"),
    (44.0, "Mine."),
)


def make_demo_video(
    path: str | os.PathLike[str],
    *,
    duration_scale: float = 1.0,
    size: tuple[int, int] = (640, 360),
    fps: int = 25,
    preset: str = "veryfast",
) -> DemoInfo:
    """Generate THE demo video (about 49 s at ``duration_scale=1``); deterministic.

    ``duration_scale`` scales shot lengths and speech start times (lines that would
    overlap are pushed back; lines that no longer fit are dropped).
    """
    if duration_scale <= 0:
        raise ValueError("duration_scale must be positive")
    shots = [
        ShotSpec(s.source, s.duration * duration_scale, s.motion, s.fade_in * min(1.0, duration_scale),
                 s.fade_out * min(1.0, duration_scale), s.label)
        for s in DEMO_SHOTS
    ]
    speech = [(t * duration_scale, text) for t, text in DEMO_SPEECH]
    return _generate(path, shots, speech, audio=True, video=True, size=size, fps=fps,
                     preset=preset, background=0.004)
