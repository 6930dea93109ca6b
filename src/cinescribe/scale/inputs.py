"""The videos of a batch: a folder searched recursively, or a text file listing paths.

A folder yields every file whose extension is a video extension, found recursively and
sorted by path.  A list file holds one path per line; blank lines and lines starting with
``#`` are skipped, and relative paths are relative to the list file's folder.  Paths are
made absolute, so that workers on other machines (sharing the file system) see them.

Each video gets its own output folder under the batch's output root, named after its path
relative to the input folder (for a list: the listed videos' common folder) without the
extension (``films/a/x.mp4`` -> ``OUT/a/x``); two videos that would share a folder (``x.mp4`` and ``x.mkv``) keep their
extension in the name (``x.mp4``, ``x.mkv``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

VIDEO_EXTENSIONS = frozenset({
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts", ".mxf", ".wmv",
    ".flv", ".ogv", ".3gp",
})


@dataclass(frozen=True)
class BatchItem:
    """One video of the batch and the folder its outputs go to (both absolute)."""

    video: Path
    outdir: Path


def find_videos(source: str | os.PathLike[str]) -> list[Path]:
    """The absolute video paths named by ``source`` (a folder or a list file); InputError if none."""
    src = Path(source)
    if not src.exists():
        raise InputError(f"{src}: no such folder or list file; give a folder of videos or a text file of paths")
    if src.is_dir():
        videos = sorted(p.resolve() for p in src.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file())
        if not videos:
            raise InputError(f"{src}: no video files found (extensions: {', '.join(sorted(VIDEO_EXTENSIONS))})")
        return videos
    return _read_list(src)


def _read_list(listfile: Path) -> list[Path]:
    try:
        text = listfile.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{listfile}: not a text list of video paths (give a folder or a UTF-8 text file, "
                         "one path per line)") from None
    except OSError as exc:
        raise InputError(f"{listfile}: cannot read it: {exc.strerror}") from None
    videos: list[Path] = []
    seen: set[Path] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "\x00" in line:
            raise InputError(f"{listfile}:{number}: not a path; the list must be a text file, one path per line")
        path = Path(line).expanduser()
        path = (path if path.is_absolute() else listfile.parent / path).resolve()
        if path not in seen:
            seen.add(path)
            videos.append(path)
    if not videos:
        raise InputError(f"{listfile}: the list names no videos; write one path per line (# starts a comment)")
    return videos


def input_base(source: str | os.PathLike[str], videos: list[Path]) -> Path:
    """The folder video names are taken relative to: the input folder (so that the layout does
    not change as videos are added), or for a list the listed videos' common folder."""
    src = Path(source)
    return src.resolve() if src.is_dir() else Path(os.path.commonpath([v.parent for v in videos]))


def plan_outputs(videos: list[Path], root: Path, base: Path) -> list[BatchItem]:
    """Pair each video with its output folder under ``root``, named by its path relative to ``base``."""
    rel = [v.relative_to(base) for v in videos]
    stems = [r.with_suffix("") for r in rel]
    clash = {s for s in stems if stems.count(s) > 1}
    root = root.resolve()
    return [BatchItem(v, root / (r if s in clash else s)) for v, r, s in zip(videos, rel, stems)]
