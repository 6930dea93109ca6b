"""Where cinescribe keeps what it can rebuild: prepared models and the feature store."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$CINESCRIBE_CACHE``, else ``$XDG_CACHE_HOME/cinescribe``, else ``~/.cache/cinescribe``."""
    env = os.environ.get("CINESCRIBE_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cinescribe"
