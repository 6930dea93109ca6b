"""Atomic file writes: write to a temporary name in the same folder, then rename.

A reader never sees a half-written file, and an interrupted run leaves the previous
version (or nothing) in place.  A write the disk refuses (full, read-only, no permission)
is a :class:`~cinescribe.errors.WriteError` naming the file, and leaves nothing behind.
JSON is strict: NaN and infinity are refused, never written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from .errors import InputError, WriteError

_UMASK = os.umask(0)
os.umask(_UMASK)

# errno values that mean "this file cannot be written here", as opposed to a bug
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
_REASONS = {errno.ENOSPC: "no space left on the device (disk full); free some space or write elsewhere",
            errno.EDQUOT: "disk quota exceeded; free some space or write elsewhere",
            errno.EROFS: "the file system is read-only; write elsewhere"}


def write_error(path: str | os.PathLike[str], exc: OSError) -> WriteError:
    """The one-line error for ``exc`` raised while writing ``path``."""
    reason = _REASONS.get(exc.errno) or (exc.strerror or str(exc)).lower()
    return WriteError(f"cannot write {path}: {reason}", exc.errno)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched; an
    ``OSError`` of :data:`WRITE_ERRNOS` becomes a :class:`WriteError` naming ``path``.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:
            raise write_error(target, exc) from None
        raise
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual permissions
        os.replace(tmp_path, target)
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:
            raise write_error(target, exc) from None
        raise
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink(missing_ok=True)


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


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Atomically write UTF-8 ``text`` to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Atomically write ``obj`` as indented UTF-8 JSON to ``path`` (ValueError on NaN or infinity)."""
    return write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def read_json(path: str | os.PathLike[str], missing: str, damaged: str = "") -> Any:
    """The JSON document at ``path``; a missing, unreadable or corrupted file is a one-line
    :class:`InputError`.  ``missing`` says what the file should be and how to get one (``"score
    track; write one with ..."``), ``damaged`` how to repair a corrupted one."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: no such {missing}") from None
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a text file, so no {missing}") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fix = f"; {damaged}" if damaged else ""
        raise InputError(f"{p}: corrupted JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}){fix}") from None
