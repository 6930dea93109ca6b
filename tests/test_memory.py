"""Freed memory handed back between slots (cinescribe/memory.py)."""

import sys

import numpy as np
import pytest

from cinescribe import memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_small_blocks_go_back_to_the_system():
    import psutil

    me = psutil.Process()
    blocks = [np.ones(4096, np.uint8) for _ in range(50_000)]  # ~200 MiB of small heap blocks
    keep = blocks[-1]
    del blocks
    before = me.memory_info().rss
    assert memory.release_freed_memory() is True
    after = me.memory_info().rss
    assert keep.sum() == 4096  # a live block in the middle of the freed ones stays
    assert before - after > 100 * 2**20  # the freed pages around it go back


def test_a_platform_without_malloc_trim_releases_nothing(monkeypatch):
    monkeypatch.setattr(memory, "_TRIM", None)
    assert memory.release_freed_memory() is False
