"""Handing freed memory back to the operating system between the slots of a long video.

glibc's allocator keeps the blocks a process frees in its per-thread arenas for reuse.  With the
model runtimes' thread pools (ONNX Runtime, PyTorch, OpenCV) and the decoder's thread, those
arenas fragment as slot after slot decodes frames and runs models, so the resident size of
``describe`` creeps up with the length of the video although nothing is kept.
``malloc_trim(0)`` returns the free pages at the top of every arena; it costs about a
millisecond.  Elsewhere (macOS, Windows, musl) it is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)


_TRIM = _malloc_trim()


def release_freed_memory() -> bool:
    """Give the allocator's free pages back to the system; True when some were released."""
    return bool(_TRIM(0)) if _TRIM is not None else False
