"""ImageNet crops round hands and objects (:mod:`cinescribe.describe.regions`): what a lone hand
holds, and the detector's animal or vehicle class overruled or vetoed -- rules on measurements with
a known answer, then real photos moved over a background."""

from __future__ import annotations

import numpy as np
import pytest

from cinescribe.describe.actions import Action
from cinescribe.describe.facts import slot_facts
from cinescribe.describe.regions import HELD, agreed, check_labels, held_thing, name_held
from cinescribe.describe.tracks import track_slot
from cinescribe.describe.writer import unlicensed_words, write
from cinescribe.features.analysers.base import Detection, FrameAnalysis, Hand, Label, Region

ASPECT = 4 / 3
HAND = (0.5, 0.4, 0.6, 0.5)


def crop(source, box, **classes):
    return Region(source, box, [Label(k.replace("_", " "), v) for k, v in sorted(classes.items(), key=lambda kv: -kv[1])])


def test_crops_agree_only_in_most_key_frames():
    crops = [(0.0, crop("hand", HAND, carton=0.2, crate=0.15)), (1.0, crop("hand", HAND, chest=0.6)),
             (2.0, crop("hand", HAND, lighter=0.7))]
    found = agreed(crops, HELD)
    assert list(found) == ["box"] and found["box"]["frames"] == [0.0, 1.0] and found["box"]["of"] == 3
    assert found["box"]["scores"] == [0.35, 0.6]
    assert agreed(crops[:1] + crops[2:], HELD) == {}  # one crop of two is no agreement
    assert agreed(crops[1:2], HELD)["box"]["frames"] == [1.0]  # one key frame's crop, confident
    assert agreed(crops[:1], HELD) == {}  # ... or not


def test_a_lone_moving_hand_holds_what_its_crops_agree_on():
    keyframes = [FrameAnalysis(t=float(t), regions=[crop("hand", HAND, carton=0.5)]) for t in range(3)]
    move = Action("move", (3,), (0.0, 1.0, 2.0), people=0, measure={"hand": 3, "speed": 0.4})
    (hold,) = name_held([move], keyframes)
    assert (hold.verb, hold.object, hold.people) == ("hold", "box", 0)
    assert hold.measure["named_by"]["classes"] == {"carton": 0.5} and hold.measure["speed"] == 0.4
    assert name_held([move], [FrameAnalysis(t=0.0, regions=[crop("hand", HAND, lighter=0.9)])]) == [move]
    walk = Action("walk", (1,), (0.0, 1.0))
    assert name_held([walk], keyframes) == [walk]


def _animal_frames(**classes):
    frames = []
    for i in range(6):
        fa = FrameAnalysis(t=i / 2, objects=[Detection("dog", 0.47, (0.1, 0.1, 0.9, 0.9))])
        if i % 2 == 0:  # the key frames, measured by the ImageNet analyser
            fa.regions = [crop("dog", (0.1, 0.1, 0.9, 0.9), **classes)]
        frames.append(fa)
    return frames


def test_a_dog_whose_crops_are_a_tabby_is_a_cat():
    frames = _animal_frames(tabby=0.5, tiger_cat=0.2, Egyptian_cat=0.1)
    tracks = track_slot(frames, ASPECT)
    check_labels(tracks, frames[::2])
    (cat,) = tracks.confirmed_objects
    assert (cat.label, cat.detected) == ("cat", "dog") and cat.named_by["classes"]["tabby"] == 0.5
    facts = slot_facts(frames[::2], [], tracks=track_slot(frames, ASPECT), sampled=frames)
    assert [f.key for f in facts if f.kind == "object"] == ["object:cat"]
    written = write(facts, 10)
    assert written.text == "A cat appears." and unlicensed_words(written) == []


def test_a_dog_whose_crops_agree_on_a_dog_stays_and_one_with_no_animal_is_vetoed():
    kept = _animal_frames(beagle=0.4, basset=0.3)
    tracks = track_slot(kept, ASPECT)
    check_labels(tracks, kept[::2])
    assert [t.label for t in tracks.confirmed_objects] == ["dog"]
    nothing = _animal_frames(pillow=0.5, quilt=0.2)
    tracks = track_slot(nothing, ASPECT)
    check_labels(tracks, nothing[::2])
    assert tracks.confirmed_objects == [] and tracks.objects[0].named_by["no_animal"]


def test_a_truck_whose_crops_are_vans_is_a_van():
    frames = [FrameAnalysis(t=i / 2, objects=[Detection("truck", 0.38, (0.2, 0.2, 0.3, 0.27))],
                            regions=[crop("truck", (0.2, 0.2, 0.3, 0.27), minivan=0.3, moving_van=0.1)])
              for i in range(4)]
    facts = slot_facts(frames, [], tracks=track_slot(frames, ASPECT), sampled=frames)
    (van,) = [f for f in facts if f.kind == "object"]
    assert (van.key, van.value) == ("object:van", "van")
    assert van.evidence["track_evidence"][0]["detected"] == "truck"
    assert any("regions" in m for m in van.evidence["models"])


@pytest.mark.parametrize("photo,word", [("chelsea", "cat"), ("coffee", "cup")])
def test_real_photos_moved_over_a_background(photo, word):
    """A real photo (scikit-image's cat, or cup of coffee) pasted small and moved across a grey
    frame; the detector's boxes are given as the photo's place, with the wrong class for the cat."""
    from cinescribe.demo import sample_photo
    from cinescribe.features.analysers.imagenet import ImageNetAnalyser

    image = sample_photo(photo)
    h, w = image.shape[:2]
    frames, measured = [], []
    for i in range(3):
        canvas = np.full((720, 1280, 3), 110, np.uint8)
        x0 = 100 + 200 * i
        canvas[150:150 + h, x0:x0 + w] = image
        box = (x0 / 1280, 150 / 720, (x0 + w) / 1280, (150 + h) / 720)
        if word == "cat":
            fa = FrameAnalysis(t=i / 2, objects=[Detection("dog", 0.47, box)])
        else:  # a hand round the cup: a third of the photo's size at its centre
            cw, ch = (box[2] - box[0]) / 3, (box[3] - box[1]) / 3
            fa = FrameAnalysis(t=i / 2, hands=[Hand("fist", 0.5, (box[0] + cw, box[1] + ch, box[2] - cw, box[3] - ch))])
        frames.append(canvas)
        measured.append(fa)
    analyser = ImageNetAnalyser()
    analyser.analyse(frames, measured)
    analyser.close()
    if word == "cat":
        tracks = track_slot(measured, 1280 / 720)
        check_labels(tracks, measured)
        assert [t.label for t in tracks.confirmed_objects] == ["cat"]
    else:
        found = held_thing(measured)
        assert found is not None and found[0] == "cup", [r.labels[:3] for f in measured for r in f.regions]


@pytest.mark.slow  # the node perception models on real footage, as tests/test_tracks_real.py
def test_vtest_parked_vans_read_as_car_and_truck_are_vans():
    """``vtest.avi``'s two white vans parked by the building (top right) are a "car" and a "truck"
    to the detector at 0.36-0.41; the crops round them are a moving van at 0.61-0.88."""
    import shutil
    from pathlib import Path

    from cinescribe.features.analysers import analyse_frames
    from cinescribe.features.analysers.human import HumanAnalyser, find_node_dir
    from cinescribe.features.analysers.imagenet import ImageNetAnalyser
    from cinescribe.media.frames import sample_frames

    clip = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips" / "vtest.avi"
    node = shutil.which("node") and (find_node_dir() / "node_modules" / "@vladmandic" / "human-models").is_dir()
    if not clip.is_file() or not node:
        pytest.skip("needs the real clips and the node models")
    with sample_frames(clip, 0.5, max_side=640, start=0.0, end=7.0) as stream:
        frames = [f for f in stream if f.t <= 7.0]
    with HumanAnalyser(objects=True, faces=False, poses=False) as human:
        measured = analyse_frames([f.image for f in frames], [f.t for f in frames], [human, ImageNetAnalyser()])
    facts = slot_facts(measured, [], tracks=track_slot(measured, 768 / 576), sampled=measured)
    vehicles = [f for f in facts if f.kind == "object" and f.key in ("object:van", "object:car", "object:truck")]
    assert [f.value for f in vehicles] == ["van"], [f.key for f in facts]
    assert {t["detected"] for t in vehicles[0].evidence["track_evidence"]} == {"car", "truck"}
