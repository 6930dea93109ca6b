"""Fact vectors (data/fact_vector.py): the slot's facts joined to each frame, and describe's side of them."""

import numpy as np
import pytest

from cinescribe.data.fact_vector import (ACTIONS, FACT_DIM, FRAME_DIM, PLACES, SETTINGS, SLOT_DIM, THINGS, SlotFacts,
                                         fact_rows, slot_vector)
from cinescribe.describe.facts import ACTION_SALIENCE, Fact
from cinescribe.describe.learned import as_slot_facts
from cinescribe.describe.setting import SETTING_PHRASES, THINGS as IMAGENET_THINGS

SETTING = len(ACTIONS)
PLACE = SETTING + len(SETTINGS)
THING = PLACE + len(PLACES) + 2
COUNT = THING + len(THINGS)
RANK = COUNT + 4
GENDER = RANK + 6


def test_vocabularies_cover_what_describe_measures():
    assert set(ACTION_SALIENCE) <= set(ACTIONS)
    assert set(SETTING_PHRASES) <= set(SETTINGS)
    assert set(IMAGENET_THINGS.values()) | {"leaves", "hand"} <= set(THINGS)
    assert (SLOT_DIM, FACT_DIM, FRAME_DIM) == (76, 175, 99)


def test_slot_vector_known_value():
    facts = SlotFacts(actions=frozenset({"walk", "turn"}), settings=frozenset({"street"}), place="outdoors",
                      characters=((1, "male"), (7, "female"), (2, None)), text=True)
    v = slot_vector(facts)
    assert v.shape == (76,)
    on = {int(i): float(v[i]) for i in np.flatnonzero(v)}
    third = pytest.approx(1 / 3)
    assert on == {ACTIONS.index("walk"): 1.0, ACTIONS.index("turn"): 1.0, SETTING + SETTINGS.index("street"): 1.0,
                  PLACE + 1: 1.0, COUNT + 3: 1.0, RANK: 1.0, RANK + 1: 1.0, RANK + 5: 1.0, GENDER: third,
                  GENDER + 1: third, GENDER + 2: 1.0}
    empty = slot_vector(SlotFacts())
    assert np.flatnonzero(empty).tolist() == [COUNT, 75]  # no characters, nothing measured


def test_fact_rows_weigh_the_frame_and_the_slot_the_same():
    frames = np.zeros((3, 99), np.float32)
    frames[:, 0] = [1.0, 2.0, 0.5]
    rows = fact_rows(frames, SlotFacts(actions=frozenset({"sit down"})))
    assert rows.shape == (3, 175) and np.allclose(np.linalg.norm(rows, axis=1), 1.0)
    assert np.allclose(rows[:, 0], 2 ** -0.5)  # each frame's detections: half the row's length
    slot = rows[:, 99:]  # sitting down and "no characters" share the other half
    assert np.allclose(slot[:, ACTIONS.index("sit down")], 0.5) and np.allclose(slot[:, COUNT], 0.5)
    assert np.count_nonzero(slot) == 6
    with pytest.raises(ValueError, match=r"\(T, 99\)"):
        fact_rows(np.zeros((2, 98)), SlotFacts())


def test_describe_facts_become_slot_facts():
    facts = [Fact("action", "action:walk", "walk", ("walks",), 0.9, {}),
             Fact("action", "action:hold:cup", "hold", ("holds", "cup"), 0.9, {}),
             Fact("setting", "setting:lawn", "lawn", ("lawn",), 0.4, {}),
             Fact("place", "place:outdoors", "outdoors", ("outdoors",), 0.35, {}),
             Fact("daylight", "daylight:day", "day", ("daylight",), 0.25, {}),
             Fact("object", "object:box", "box", ("box",), 0.3, {}),
             Fact("object", "object:cup", "cup", ("cup",), 0.8, {}),  # COCO: the frame vectors carry it
             Fact("character", "character:c3", "c3", ("man",), 1.0, {}),
             Fact("scale", "scale:wide", "wide shot", ("wide", "shot"), 0.4, {}),
             Fact("light", "light:dark", "dark", ("dark",), 0.35, {}),
             Fact("text", "text:exit", "EXIT", ("exit",), 0.9, {})]
    assert as_slot_facts(facts, {"c3": "male"}) == SlotFacts(
        frozenset({"walk", "hold"}), frozenset({"lawn"}), frozenset({"box"}), "outdoors", "day", ((3, "male"),),
        text=True, scale="wide", dark=True)
    assert as_slot_facts([]) == SlotFacts()
