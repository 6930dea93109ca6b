"""Facts from measurements, novelty across slots, and sentences within word budgets."""

import pytest

from cinescribe.describe.facts import Fact, pixel_facts, slot_facts, verb_forms
from cinescribe.describe.novelty import NoveltyTracker
from cinescribe.describe.writer import FUNCTION_WORDS, unlicensed_words, word_count, write
from cinescribe.features.analysers.base import Detection, Face, FrameAnalysis, PixelStats, Pose, TextLine


def frame(t, objects=(), faces=(), poses=(), text=(), pixels=None):
    return FrameAnalysis(t=t, objects=list(objects), faces=list(faces), poses=list(poses), text=list(text), pixels=pixels)


PERSON = Detection("person", 0.9, (0.3, 0.1, 0.7, 0.95))
CUP = Detection("cup", 0.8, (0.75, 0.6, 0.9, 0.8))
CLOSE_FACE = Face(0.95, (0.35, 0.1, 0.65, 0.5), "happy", 0.8)
STANDING = Pose(0.8, {}, "standing")


def keys(facts):
    return [f.key for f in facts]


def test_people_objects_expression_posture_scale():
    kf = [frame(t, [PERSON, CUP], [CLOSE_FACE], [STANDING]) for t in (1.0, 2.0, 3.0)]
    facts = slot_facts(kf, [])
    assert set(keys(facts)) == {"people:1", "object:cup", "expression:happy", "posture:standing", "scale:close-up"}
    people = next(f for f in facts if f.kind == "people")
    assert people.evidence["frames"] == [1.0, 2.0, 3.0]


def test_object_seen_in_too_few_frames_is_not_a_fact():
    kf = [frame(0.0, [CUP]), frame(1.0), frame(2.0), frame(3.0)]
    assert "object:cup" not in keys(slot_facts(kf, []))


def test_low_scores_are_ignored():
    kf = [frame(0.0, [Detection("cat", 0.2, (0, 0, 1, 1))], [Face(0.3, (0, 0, 1, 1))])]
    assert slot_facts(kf, []) == []


def test_people_count_is_median_over_frames():
    two = [Detection("person", 0.9, (0.1, 0.2, 0.3, 0.9)), Detection("person", 0.9, (0.6, 0.2, 0.8, 0.9))]
    kf = [frame(0.0, two), frame(1.0, two), frame(2.0, two[:1])]
    people = [f for f in slot_facts(kf, []) if f.kind == "people"]
    assert people[0].value == 2 and people[0].words == ("two", "people")


def test_expressions_are_visible_actions_not_emotions():
    from cinescribe.describe.facts import EXPRESSION_WORDS
    from cinescribe.describe.style import EMOTIONS

    frightened = Face(0.95, (0.35, 0.1, 0.65, 0.5), "fear", 0.8)
    facts = slot_facts([frame(t, [PERSON], [frightened]) for t in (1.0, 2.0)], [])
    text = write(facts, 10).text
    assert text == "A person stares wide-eyed."
    assert not set(EXPRESSION_WORDS.values()) & EMOTIONS


def test_text_fact_reads_lines_in_order():
    lines = [TextLine("TRAIN", 0.95, (0.3, 0.5, 0.7, 0.6)), TextLine("THE LAST", 0.97, (0.3, 0.3, 0.7, 0.4))]
    facts = slot_facts([frame(0.0, text=lines)], [])
    assert [f.value for f in facts if f.kind == "text"] == ["THE LAST TRAIN"]


def test_fade_out_dark_and_pan():
    dense = [frame(t / 4, pixels=PixelStats(b, 0.1, None, 0.0, (0.1, 0.0))) for t, b in
             enumerate([0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.02])]
    found = keys(pixel_facts(dense))
    assert "fade:out" in found and "camera:pan-left" in found
    dark = [frame(t, pixels=PixelStats(0.1, 0.0, None)) for t in range(4)]
    assert keys(pixel_facts(dark)) == ["light:dark"]


def test_blue_picture_colour():
    dense = [frame(t, pixels=PixelStats(0.5, 0.6, "blue")) for t in range(4)]
    assert keys(pixel_facts(dense)) == ["colour:blue"]


def F(kind, key, value, words, salience):
    return Fact(kind, key, value, tuple(words), salience)


FACTS = sorted([
    F("people", "people:1", 1, ["person"], 1.0),
    F("expression", "expression:happy", "smile", verb_forms("smile"), 0.7),
    F("posture", "posture:standing", "standing", ["standing", "stands", "stand"], 0.6),
    F("object", "object:cup", "cup", ["cup"], 0.6),
    F("scale", "scale:close-up", "close-up", ["close-up"], 0.5),
    F("text", "text:the last train", "THE LAST TRAIN", ["THE", "LAST", "TRAIN"], 0.9),
    F("camera", "camera:pan-left", "pans left", ["camera", "pans", "left"], 0.45),
], key=lambda f: -f.salience)


@pytest.mark.parametrize("budget", range(2, 30))
def test_sentence_fits_budget_and_every_word_is_licensed(budget):
    w = write(FACTS, budget)
    assert word_count(w.text) <= budget
    assert unlicensed_words(w) == []
    if budget >= 3:
        assert w.text


def test_known_sentences():
    assert write(FACTS, 4).text == "A person smiles."
    assert write(FACTS, 6).text == "A person smiles and stands."
    assert write(FACTS, 100).text == (
        'A person smiles and stands. There is a cup. The words "THE LAST TRAIN" appear on screen.'
    )


def test_camera_words_only_when_nothing_else_can_be_said():
    assert "camera" not in write(FACTS, 100).text and "close-up" not in write(FACTS, 100).text
    camera = [f for f in FACTS if f.kind == "camera"]
    assert write(camera, 10).text == "The view pans left."


def test_repeated_facts_use_definite_reference():
    w = write(FACTS[:1], 5, is_known=lambda k: k == "people:1")
    assert w.text == "The person remains."
    assert write(FACTS[:1], 5).text == "A person appears."


def test_nothing_fits_is_reported_not_invented():
    w = write([F("text", "text:x", "A VERY LONG TITLE CARD", ["A", "VERY", "LONG", "TITLE", "CARD"], 0.9)], 3)
    assert w.text == "" and "budget" in w.reason
    assert write([], 10).reason == "no measured fact to describe"


def test_function_words_carry_no_content():
    assert not FUNCTION_WORDS & {"person", "cup", "smiling", "camera", "black", "dark"}


def test_novelty_prefers_new_facts():
    tracker = NoveltyTracker(window=2, repeat_weight=0.25)
    tracker.record(["object:cup"])
    weighted = tracker.weigh([F("object", "object:cup", "cup", ["cup"], 0.8), F("object", "object:cat", "cat", ["cat"], 0.5)])
    assert [f.key for f in weighted] == ["object:cat", "object:cup"]
    assert weighted[1].salience == pytest.approx(0.2)
    tracker.record([])
    tracker.record([])
    assert not tracker.seen("object:cup")


def test_every_posture_the_pose_analyser_derives_can_be_written():
    from cinescribe.describe.facts import POSTURE_WORDS, posture_facts
    from cinescribe.features.analysers.base import Pose
    from cinescribe.features.analysers.human import POSTURES

    assert set(POSTURES) == set(POSTURE_WORDS)
    for posture in POSTURES:
        kf = [frame(t, [PERSON]) for t in (1.0, 2.0)]
        for f in kf:
            f.poses.append(Pose(0.8, {}, posture))
        facts = [F("people", "people:1", 1, ["person"], 1.0)] + posture_facts(kf)  # by salience, as write expects
        out = write(facts, 12)
        assert out.text and unlicensed_words(out) == [], (posture, out)
        assert any(f.kind == "posture" for f in out.facts)


def _face(expression, score):
    return Face(0.97, (0.39, 0.32, 0.53, 0.67), expression, score)


def test_an_expression_must_hold_across_the_sampled_frames():
    # the demo's cameraman squinting: the emotion model says sad and angry by turns (read off its frames)
    readings = [("sad", 0.49), ("sad", 0.57), ("sad", 0.69), ("angry", 0.40), ("angry", 0.58), ("angry", 0.36),
                ("sad", 0.69), ("angry", 0.52), ("angry", 0.52), ("sad", 0.65)]
    sampled = [frame(t / 2, [PERSON], [_face(e, s)]) for t, (e, s) in enumerate(readings)]
    keyframes = [sampled[4], sampled[7], sampled[8]]  # all three key frames say "angry"
    assert [f.key for f in slot_facts(keyframes, []) if f.kind == "expression"] == ["expression:angry"]
    assert not [f for f in slot_facts(keyframes, [], sampled=sampled) if f.kind == "expression"]
    # the astronaut's smile: happy at 0.98-1.0 in every frame
    smiling = [frame(t / 2, [PERSON], [_face("happy", 1.0)]) for t in range(3)]
    found = [f for f in slot_facts(smiling[1:2], [], sampled=smiling) if f.kind == "expression"]
    assert [(f.value, f.evidence["votes"], f.evidence["faces"]) for f in found] == [("smile", 3, 3)]
    one = [frame(0.0, [PERSON], [_face("happy", 1.0)])]
    assert not [f for f in slot_facts(one, [], sampled=one) if f.kind == "expression"]  # one reading is not agreement
