"""The described video: the original streams plus the mixed AD track as a labelled audio stream.

ffmpeg copies the video stream (``-c:v copy``, no re-encoding) and the original audio
(first audio stream, kept as the default track), and adds the mixed WAV encoded as AAC
(``aac_bitrate``) with the language tag, the title ``Audio description`` (MP4 stores it as
the track's handler name) and the dispositions ``visual_impaired`` and ``descriptions``
(MP4; Matroska stores ``visual_impaired``, its flag for AD).  Written atomically.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..atomic import atomic_path
from ..errors import InputError, MissingDependencyError

AD_TITLE = "Audio description"
CONTAINERS = {"mp4": "mp4", "mkv": "matroska"}


def check_language(code: str) -> str:
    """``code`` if it is an ISO 639-2 language code (``eng``); InputError if not."""
    if not (len(code) == 3 and code.isascii() and code.isalpha() and code.islower()):
        raise InputError(f"--language must be an ISO 639-2 code of three lower-case letters such as eng (got {code!r})")
    return code


def mux_described(video: Path, mixed_wav: Path, out: Path, *, has_audio: bool, language: str = "eng",
                  aac_bitrate: str = "192k") -> Path:
    """Write ``out`` (``.mp4`` or ``.mkv``): ``video``'s streams plus ``mixed_wav`` as the AD audio stream."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise MissingDependencyError("the described video needs ffmpeg: apt-get install ffmpeg (or run `make setup`)")
    container = CONTAINERS.get(out.suffix.lstrip(".").lower())
    if container is None:
        raise InputError(f"{out}: the described video must be .mp4 or .mkv")
    lang = check_language(language)
    ad = "1" if has_audio else "0"  # index of the AD stream among the output's audio streams
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(video), "-i", str(mixed_wav),
           "-map", "0:v:0"]
    if has_audio:
        cmd += ["-map", "0:a:0", "-c:a:0", "copy", "-disposition:a:0", "default"]
    cmd += ["-map", "1:a:0", "-c:v", "copy", f"-c:a:{ad}", "aac", f"-b:a:{ad}", aac_bitrate,
            f"-metadata:s:a:{ad}", f"language={lang}", f"-metadata:s:a:{ad}", f"title={AD_TITLE}",
            f"-metadata:s:a:{ad}", f"handler_name={AD_TITLE}",
            f"-disposition:a:{ad}", "visual_impaired+descriptions" if has_audio else "default+visual_impaired+descriptions",
            "-f", container]
    with atomic_path(out) as tmp:
        done = subprocess.run([*cmd, str(tmp)], capture_output=True, text=True)
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "ffmpeg failed"
            raise InputError(f"cannot write the described video {out}: {last}")
    return out
