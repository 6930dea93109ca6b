"""Fact vectors: a slot's perception vectors joined with what ``describe`` measures over the whole slot.

The 99-d perception vector (:mod:`cinescribe.features.encoders.perception`) holds what one key
frame's detectors saw.  ``describe`` also measures facts that only a slot as a whole shows
(``describe/facts.py``, ``setting.py``, ``characters.py``): actions from tracks, settings and
places, things beyond COCO, characters, on-screen text, scene changes and the camera.  A
:class:`SlotFacts` holds them as plain words, so that both ``describe`` (from its measured facts)
and the training proxy (from an AD's words, :mod:`.fact_features`) build them, and
:func:`slot_vector` encodes them (``SLOT_DIM`` = 76 numbers):

* 21 actions (the verbs ``describe`` measures, multi-hot);
* 18 settings, 2 places (indoors, outdoors), 2 daylights (day, night);
* 13 things beyond COCO (ImageNet's whitelisted things, green leaves, a hand);
* characters: 4 for how many are in view (0, 1, 2, 3+; one-hot), 6 for which ones (the order
  of first appearance in the video, 1..5 and 6+, multi-hot), 2 for the share referred to as a
  man and as a woman;
* 1 on-screen text, 1 new scene, 2 shot scales (close-up, wide), 1 fade, 1 darkness, 1 camera
  move, 1 "none of these" (no fact but the character count: no action, setting, ... at all).

:func:`fact_rows` joins each frame's ``(99,)`` perception vector with the slot's block:
``(T, 99)`` + ``(76,)`` -> ``(T, 175)`` = ``FACT_DIM``; each half is L2-normalised and the row
scaled to unit length, so that the frame's detections and the slot's facts weigh the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..features.encoders.base import l2_normalise
from ..features.encoders.perception import PerceptionEncoder

ACTIONS = ("walk", "run", "enter", "leave", "approach", "move away", "turn", "sit down", "stand up", "lie down",
           "fall", "raise an arm", "reach", "bend", "hold", "lift", "move", "face each other", "stand", "sit",
           "lie")
SETTINGS = ("restaurant", "library", "bookshop", "shop", "barbershop", "church", "cinema", "stage", "shore",
            "lakeside", "valley", "mountains", "cliff", "volcano", "car", "street", "dining table", "lawn")
PLACES = ("indoors", "outdoors")
DAYLIGHTS = ("day", "night")
THINGS = ("rabbit", "tripod", "pole", "box", "candle", "piano", "guitar", "violin", "sunglasses", "squirrel", "fox",
          "leaves", "hand")
RANKS = 6  # characters 1..5 by first appearance, then "6th or later"
SCALES = ("close-up", "wide")
GENDERS = ("male", "female")
FRAME_DIM = PerceptionEncoder.dim  # 99
SLOT_DIM = len(ACTIONS) + len(SETTINGS) + len(PLACES) + len(DAYLIGHTS) + len(THINGS) + 4 + RANKS + 2 + 1 + 1 \
    + len(SCALES) + 1 + 1 + 1 + 1
FACT_DIM = FRAME_DIM + SLOT_DIM


@dataclass(frozen=True)
class SlotFacts:
    """What one slot shows as a whole, in ``describe``'s words: ``actions``, ``settings`` and
    ``things`` (words of :data:`ACTIONS`, :data:`SETTINGS`, :data:`THINGS`), ``place`` and
    ``daylight`` (or None), ``characters`` as ``(rank, gender)`` pairs (rank 1 = the first to
    appear in the video; gender "male", "female" or None), and whether the slot shows on-screen
    ``text``, opens a ``new_scene``, is a close-up or wide shot (``scale``), fades, is dark or has
    the camera move."""

    actions: frozenset[str] = frozenset()
    settings: frozenset[str] = frozenset()
    things: frozenset[str] = frozenset()
    place: str | None = None
    daylight: str | None = None
    characters: tuple[tuple[int, str | None], ...] = ()
    text: bool = False
    new_scene: bool = False
    scale: str | None = None
    fade: bool = False
    dark: bool = False
    camera: bool = False


def _hot(vocabulary: tuple[str, ...], words) -> np.ndarray:
    out = np.zeros(len(vocabulary), np.float32)
    for w in words:
        if w in vocabulary:
            out[vocabulary.index(w)] = 1.0
    return out


def slot_vector(facts: SlotFacts) -> np.ndarray:
    """The ``(76,)`` block of ``facts`` (see the module docstring), not normalised."""
    count = np.zeros(4, np.float32)
    count[min(len(facts.characters), 3)] = 1.0
    ranks = np.zeros(RANKS, np.float32)
    genders = np.zeros(len(GENDERS), np.float32)
    for rank, gender in facts.characters:
        ranks[min(max(rank, 1), RANKS) - 1] = 1.0
        if gender in GENDERS:
            genders[GENDERS.index(gender)] += 1.0 / len(facts.characters)
    flags = np.array([facts.text, facts.new_scene], np.float32)
    tail = np.array([facts.fade, facts.dark, facts.camera], np.float32)
    parts = [_hot(ACTIONS, facts.actions), _hot(SETTINGS, facts.settings),
             _hot(PLACES, [facts.place] if facts.place else []), _hot(DAYLIGHTS, [facts.daylight] if facts.daylight else []),
             _hot(THINGS, facts.things), count, ranks, genders, flags,
             _hot(SCALES, [facts.scale] if facts.scale else []), tail]
    measured = any(p.any() for p in parts if p is not count)
    return np.concatenate(parts + [np.array([0.0 if measured else 1.0], np.float32)])


def fact_rows(frames: np.ndarray, facts: SlotFacts) -> np.ndarray:
    """``(T, 99)`` perception vectors + the slot's facts -> ``(T, 175)`` rows of unit length."""
    frames = np.asarray(frames, np.float32)
    if frames.ndim != 2 or frames.shape[1] != FRAME_DIM:
        raise ValueError(f"fact_rows needs (T, {FRAME_DIM}) perception vectors, got {frames.shape}")
    block = l2_normalise(slot_vector(facts)[None])[0]
    joined = np.concatenate([l2_normalise(frames), np.repeat(block[None], len(frames), axis=0)], axis=1)
    return joined / np.float32(np.sqrt(2.0))
