"""Scene-level context features: mean and attention pooling, retrievable for any slot."""

from __future__ import annotations

import numpy as np
import pytest

from cinescribe.errors import InputError
from cinescribe.features.mad import ArrayFeatures
from cinescribe.features.scenes import attention_pool, mean_pool, scene_context
from cinescribe.media.shots import Scene


def test_pools_known_values():
    x = np.array([[1, 0], [1, 0], [1, 0], [0, 1]], np.float32)
    assert np.allclose(mean_pool(x), np.array([3, 1]) / np.sqrt(10))
    att = attention_pool(x, temperature=0.05)
    assert att[0] > mean_pool(x)[0] and att[0] > 0.999  # the outlier frame barely counts
    assert np.allclose(attention_pool(x, temperature=1e6), mean_pool(x), atol=1e-5)  # hot: plain mean


def test_scene_context_for_any_slot():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=8), rng.normal(size=8)
    feats = np.stack([a] * 10 + [b] * 10 + [a] * 5).astype(np.float32)
    source = ArrayFeatures("test", 5.0, feats)  # 25 frames, 5 s
    scenes = [Scene(0, 0.0, 2.0, (0,)), Scene(1, 2.0, 5.0, (1, 2))]
    ctx = scene_context(source, scenes)
    assert ctx.mean.shape == ctx.attention.shape == (2, 8)
    assert np.allclose(ctx.for_slot(0.2, 1.5), a / np.linalg.norm(a), atol=1e-5)
    assert ctx.scene_of(1.5, 4.0) == 1 and ctx.scene_of(6.0, 7.0) == 1
    second = ctx.for_slot(2.5, 4.5, pool="attention")
    assert second @ (b / np.linalg.norm(b)) > ctx.for_slot(2.5, 4.5, pool="mean") @ (b / np.linalg.norm(b))
    with pytest.raises(InputError, match="unknown scene pool"):
        ctx.for_slot(0, 1, pool="max")
    with pytest.raises(InputError, match="no scenes"):
        scene_context(source, [])
