"""Key-frame selectors: budgets, determinism, and finding short inserts that uniform sampling misses."""

from __future__ import annotations

import numpy as np
import pytest

from cinescribe.errors import InputError
from cinescribe.features.keyframes import SELECTORS, events, kmeans, redundancy, select_keyframes, uniform


def _slot(seed=0, noise=0.02):
    """40 frames: content A (0-9), a 2-frame insert B (10-11), A again (12-29), C (30-39)."""
    rng = np.random.default_rng(seed)
    a, b, c = (rng.normal(size=32) for _ in range(3))
    rows = [a] * 10 + [b] * 2 + [a] * 18 + [c] * 10
    x = np.stack(rows) + noise * rng.normal(size=(40, 32))
    labels = ["A"] * 10 + ["B"] * 2 + ["A"] * 18 + ["C"] * 10
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def test_uniform_takes_centres_of_equal_parts():
    x, _ = _slot()
    assert uniform(x, 4).indices == [4, 14, 24, 34]  # centres 4.5, 14.5, ...: ties go to the earlier frame
    assert uniform(x, 1, times=np.arange(40) * 0.25).indices == [19]
    sel = uniform(x, 4)
    assert sel.coarse.shape == (1, 32) and sorted(sel.merged[0] + sel.indices) == list(range(40))


@pytest.mark.parametrize("method", ["redundancy", "events"])
def test_content_aware_selectors_find_the_short_insert_with_three_frames(method):
    x, labels = _slot()
    sel = select_keyframes(method, x, 3, seed=1)
    assert len(sel.indices) == 3 and sel.indices == sorted(sel.indices)
    assert {labels[i] for i in sel.indices} == {"A", "B", "C"}
    assert {labels[i] for i in uniform(x, 3).indices} != {"A", "B", "C"}


def test_events_are_deterministic_for_a_seed_and_merge_the_rest():
    x, labels = _slot()
    a, b = events(x, 3, seed=7), events(x, 3, seed=7)
    assert a.indices == b.indices and np.array_equal(a.coarse, b.coarse)
    assert len(set(a.events)) == 3  # three events: A, B, C
    assert a.coarse.shape[1] == 32 and np.allclose(np.linalg.norm(a.coarse, axis=1), 1, atol=1e-5)
    merged = sorted(i for g in a.merged for i in g)
    assert sorted(merged + a.indices) == list(range(40))
    for group in a.merged:  # a coarse token never mixes events
        assert len({a.events[i] for i in group}) == 1


def test_events_prefer_frames_distinct_from_the_neighbours():
    rng = np.random.default_rng(3)
    base, other = rng.normal(size=16), rng.normal(size=16)
    x = np.stack([base + 0.15 * i * other for i in range(6)])  # drifts from 'base' towards 'other'
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    neighbours = np.stack([base] * 5)
    sel = events(x, 1, neighbours=neighbours, spread=1.0, distinct=2.0)
    assert sel.indices == [5]  # the frame least like the neighbouring slots
    assert events(x, 1, spread=1.0).indices != [5]


def test_redundancy_skips_near_duplicates_and_budget_may_stay_unused():
    x = np.tile(np.eye(4)[0], (10, 1)).astype(np.float32)
    assert redundancy(x, 5).indices == [0]  # every frame is a duplicate of the first


def test_kmeans_known_value_and_errors():
    x = np.array([[1, 0], [0.99, 0.141], [0, 1], [0.141, 0.99]], np.float32)
    labels, protos = kmeans(x / np.linalg.norm(x, axis=1, keepdims=True), 2, seed=0)
    assert labels[0] == labels[1] != labels[2] == labels[3]
    assert np.allclose(np.sort(protos[:, 0]), [np.sin(np.radians(4.07)), np.cos(np.radians(4.07))], atol=1e-3)
    with pytest.raises(InputError, match="unknown key-frame selector"):
        select_keyframes("best", x, 2)
    with pytest.raises(InputError, match="at least 1"):
        uniform(x, 0)
    with pytest.raises(InputError, match="non-empty"):
        events(np.zeros((0, 4)), 2)
    assert set(SELECTORS) == {"uniform", "redundancy", "events"}
