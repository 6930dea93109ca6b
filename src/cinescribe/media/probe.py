"""What is in a media file: :func:`probe` -> :class:`MediaInfo` (PyAV).

Input: a path.  Output: duration, video geometry as *displayed* (rotation applied),
fps, codecs, a frame-count estimate, audio format, and every stream.

Bad input raises :class:`InputError` (never a PyAV exception): missing path, a folder,
an empty file, a file that is not media, a file without a video stream, and a video
whose first frames cannot be decoded.

Truncation policy: a file whose first frames decode but whose end does not (e.g. a
download cut off midway) is *accepted*: ``MediaInfo.truncated`` is True,
``decodable_duration`` says how far decoding gets (found by seeking), ``duration``
is lowered to that, and a one-line note goes to ``MediaInfo.warnings`` and to the
``cinescribe`` logger.  The rest of the pipeline then describes what exists.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import av

from ..errors import InputError

log = logging.getLogger("cinescribe.media")

AV_ERRORS: tuple[type[BaseException], ...] = (av.FFmpegError, OSError, EOFError)
_HEAD_FRAMES = 3  # frames that must decode at the start
_END_SLACK = 1.0  # seconds: a decodable end this close to the stated end is "complete"


@dataclass(frozen=True)
class StreamInfo:
    """One stream of the container."""

    index: int
    type: str  # "video", "audio", "subtitle", "data", ...
    codec: str | None
    language: str | None = None


@dataclass
class MediaInfo:
    """Facts about one media file; times in seconds, sizes in pixels as displayed."""

    path: Path
    duration: float
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    rotation: int = 0  # degrees counter-clockwise applied for display: 0, 90, 180, 270
    video_codec: str | None = None
    frame_count: int = 0  # estimate: stated frame count, else duration * fps
    audio_rate: int = 0
    audio_channels: int = 0
    audio_codec: str | None = None
    streams: list[StreamInfo] = field(default_factory=list)
    truncated: bool = False
    decodable_duration: float | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("path", "streams")}
        d["path"] = str(self.path)
        d["streams"] = [s.__dict__ for s in self.streams]
        return d


def check_path(path: str | os.PathLike[str]) -> Path:
    """Raise :class:`InputError` unless ``path`` is a non-empty regular file."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, not a video file; give the path of a video")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: file is empty (0 bytes); re-export or re-download it")
    return p


def open_container(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """``av.open`` with the path checks and PyAV errors turned into :class:`InputError`."""
    p = check_path(path)
    try:
        return av.open(str(p), mode="r", metadata_errors="ignore")
    except AV_ERRORS as exc:
        raise InputError(f"{p}: not a readable media file ({_reason(exc)}); give a video file such as MP4, MKV or MOV") from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc).split(":")[0] or type(exc).__name__


def stream_rotation(stream: av.video.stream.VideoStream, first_frame: av.VideoFrame | None = None) -> int:
    """Display rotation in degrees CCW (0/90/180/270) from the display matrix or ``rotate`` tag."""
    deg = 0.0
    if first_frame is not None and getattr(first_frame, "rotation", 0):
        deg = float(first_frame.rotation)
    else:
        tag = (stream.metadata or {}).get("rotate")
        if tag:
            try:
                deg = -float(tag)  # the tag is clockwise
            except ValueError:
                deg = 0.0
    return int(round(deg / 90.0)) % 4 * 90


def _first_frames(container: av.container.InputContainer, stream, n: int) -> list[av.VideoFrame]:
    frames: list[av.VideoFrame] = []
    errors = 0
    try:
        for packet in container.demux(stream):
            try:
                frames.extend(packet.decode())
            except AV_ERRORS:
                errors += 1
                if errors > 8:
                    break
            if len(frames) >= n:
                break
    except AV_ERRORS:
        pass
    return frames


def _decodes_at(container, stream, t: float, *, to_end: bool = False) -> float | None:
    """Seek to the keyframe before ``t`` and return the time of the last frame decodable
    up to ``t`` (or, with ``to_end``, up to where decoding stops; at most 5000 packets),
    or None if nothing decodes there."""
    try:
        container.seek(int(t / stream.time_base), stream=stream, backward=True, any_frame=False)
        last = None
        for n, packet in enumerate(container.demux(stream)):
            try:
                for fr in packet.decode():
                    if fr.time is not None:
                        last = fr.time
            except AV_ERRORS:
                continue
            if (not to_end and last is not None and last >= t) or n > 5000:
                break
        return last
    except AV_ERRORS:
        return None


def _decodable_end(container, stream, duration: float) -> float:
    """How far the video decodes: check near the end, else binary-search with seeks."""
    end = _decodes_at(container, stream, max(0.0, duration - _END_SLACK))
    if end is not None and end >= duration - 2 * _END_SLACK:
        return duration
    lo, hi = 0.0, duration
    for _ in range(12):
        mid = (lo + hi) / 2
        got = _decodes_at(container, stream, mid)
        if got is not None and got >= mid - 1e-3:
            lo = max(mid, got)
        else:
            hi = mid
        if hi - lo < 0.5:
            break
    last = _decodes_at(container, stream, lo, to_end=True)
    return max(lo, last or 0.0)


def probe(path: str | os.PathLike[str], *, check_end: bool = True) -> MediaInfo:
    """Read the facts of a video file; see the module docstring for errors and truncation."""
    p = check_path(path)
    container = open_container(p)
    try:
        return _probe(p, container, check_end)
    finally:
        container.close()


def _probe(p: Path, container, check_end: bool) -> MediaInfo:
    streams = [
        StreamInfo(s.index, s.type, _codec(s), (s.metadata or {}).get("language"))
        for s in container.streams
    ]
    vstreams = list(container.streams.video)
    astreams = list(container.streams.audio)
    if not vstreams and not astreams:
        raise InputError(f"{p}: not a media file with video or audio streams; give a video file such as MP4, MKV or MOV")
    if not vstreams:
        raise InputError(f"{p}: has no video stream (audio only); cinescribe needs a video to describe")
    v = vstreams[0]
    duration = _duration(container, v)
    info = MediaInfo(path=p, duration=duration, has_video=True, has_audio=bool(astreams), streams=streams)
    info.video_codec = _codec(v)
    rate = v.average_rate or v.guessed_rate or v.base_rate
    info.fps = float(rate) if rate else 0.0
    if astreams:
        a = astreams[0]
        ctx = a.codec_context
        info.audio_codec = _codec(a)
        info.audio_rate = int(getattr(ctx, "sample_rate", 0) or 0)
        info.audio_channels = int(getattr(ctx, "channels", 0) or 0)

    v.thread_type = "AUTO"
    head = _first_frames(container, v, _HEAD_FRAMES)
    if not head:
        raise InputError(f"{p}: the video stream cannot be decoded (file damaged or truncated); re-export or re-download it")
    info.rotation = stream_rotation(v, head[0])
    w, h = head[0].width, head[0].height
    info.width, info.height = (h, w) if info.rotation in (90, 270) else (w, h)
    if info.duration <= 0:  # unknown duration (raw streams): estimate by decoding is too costly
        info.duration = 0.0
    elif check_end:
        end = _decodable_end(container, v, info.duration)
        if end < info.duration - 2 * _END_SLACK:
            info.truncated = True
            info.decodable_duration = end
            msg = (f"{p.name} looks truncated: only the first {end:.1f} s of {info.duration:.1f} s decode; "
                   "describing what exists")
            info.warnings.append(msg)
            log.warning(msg)
            info.duration = end
    if info.decodable_duration is None:
        info.decodable_duration = info.duration
    frames = v.frames if v.frames and not info.truncated else 0
    info.frame_count = int(frames or round(info.duration * info.fps))
    return info


def _codec(stream) -> str | None:
    return getattr(stream.codec_context, "name", None) if stream.codec_context is not None else None


def _duration(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0
