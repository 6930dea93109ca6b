"""A hand holds what it carries (:func:`cinescribe.describe.actions.carried`): rules on tracks with a
known answer -- a thing moved by a hand, a thing a hand moves past, a camera pan, a hand with no
arm -- and the sentence written from a hold whose thing has no name."""

from __future__ import annotations

from cinescribe.describe.actions import carried, slot_actions
from cinescribe.describe.facts import action_facts
from cinescribe.describe.tracks import thing_sightings, track_slot
from cinescribe.describe.writer import unlicensed_words, write
from cinescribe.features.analysers.base import Detection, FrameAnalysis, Hand

ASPECT = 4 / 3
STEP = 0.05  # frame widths a frame (0.1 a second at 2 frames a second)


def _frames(thing_moves: bool = True, hand_moves: bool = True, arm: bool = True, n: int = 7) -> list[FrameAnalysis]:
    """Frames two a second: a 0.2-wide thing (a weak "book") and a hand at its top-left corner,
    each moving right by :data:`STEP` a frame when told, and a forearm (a weak person box) from the
    left edge to the hand."""
    out = []
    for i in range(n):
        tx = 0.3 + (STEP * i if thing_moves else 0.0)
        hx = 0.27 + (STEP * i if hand_moves else 0.0)
        hand = (hx, 0.28, hx + 0.06, 0.36)
        fa = FrameAnalysis(t=i / 2, hands=[Hand("fist", 0.45, hand)],
                           weak_objects=[Detection("book", 0.25, (tx, 0.3, tx + 0.2, 0.5))])
        if arm:
            fa.objects = [Detection("person", 0.35, (0.0, 0.22, hx + 0.05, 0.4))]
        out.append(fa)
    return out


def _hold(frames, shift=(0.0, 0.0)):
    tracks = track_slot(frames, ASPECT)
    return tracks, [a for a in slot_actions(tracks, shift) if a.verb == "hold"]


def test_overlapping_boxes_of_a_frame_are_one_thing():
    fa = FrameAnalysis(t=0.0, objects=[Detection("person", 0.4, (0.0, 0.0, 0.5, 0.5)),
                                       Detection("cake", 0.38, (0.3, 0.3, 0.7, 0.7))],
                       weak_objects=[Detection("book", 0.25, (0.31, 0.3, 0.7, 0.72)),
                                     Detection("remote", 0.22, (0.8, 0.8, 0.9, 0.85))])
    things = thing_sightings(fa)
    assert [s.box for s in things] == [(0.3, 0.3, 0.7, 0.7), (0.8, 0.8, 0.9, 0.85)]  # no person, no duplicate
    assert [s.score for s in things] == [0.38, 0.22]


def test_a_hand_that_moves_a_thing_holds_it():
    tracks, holds = _hold(_frames())
    assert len(holds) == 1, holds
    hold = holds[0]
    assert hold.object is None and hold.people == 0
    thing = next(t for t in tracks.things if t.id == hold.measure["thing"])
    assert thing.id in hold.tracks and hold.measure["steps_carried"] == len(hold.measure["steps_moved"]) == 6
    step = hold.measure["steps_moved"][0]
    assert abs(step["thing_step"] - STEP * ASPECT / (0.2 * ASPECT)) < 1e-3 and step["place_change"] < 1e-3
    assert not [a for a in slot_actions(tracks) if a.verb == "move"]  # the hand holds, it does not just move


def test_a_hand_moving_past_a_still_thing_holds_nothing():
    tracks, holds = _hold(_frames(thing_moves=False))
    assert holds == []
    assert all(carried(h, t, tracks) is None for h in tracks.hands for t in tracks.things)
    assert [a.verb for a in slot_actions(tracks)] == ["move"]


def test_a_thing_moving_by_a_still_hand_is_not_carried():
    tracks, holds = _hold(_frames(hand_moves=False))
    assert holds == []


def test_a_camera_pan_carries_nothing():
    # everything shifts right at 0.1 frame widths a second: the camera moves, not the hand
    tracks, holds = _hold(_frames(), shift=(2 * STEP, 0.0))
    assert holds == [] and all(carried(h, t, tracks, (2 * STEP, 0.0)) is None
                               for h in tracks.hands for t in tracks.things)


def test_a_hand_with_no_arm_holds_nothing():
    # a hand-like print on a moving box moves with it, but no arm reaches it
    tracks, holds = _hold(_frames(arm=False))
    assert holds == [] and all(carried(h, t, tracks) is None for h in tracks.hands for t in tracks.things)


def test_a_hold_with_no_name_says_the_hand_holds_something():
    _, holds = _hold(_frames())
    facts = action_facts(holds)
    written = write(facts, 8)
    assert written.text == "A hand holds something.", written.text
    assert unlicensed_words(written) == []
