"""Setting, place, daylight and ImageNet things: the rules on measurements with a known answer, then
the real clips of ../shared/data/clips (vtest.avi: a campus path beside a lawn on an overcast day;
box.mp4: a hand holding a cardboard box indoors; tree.avi: a tree seen through a window) and real photos."""

from __future__ import annotations

from pathlib import Path

import pytest

from cinescribe.features.analysers.base import Detection, FrameAnalysis, Label, PixelStats
from cinescribe.describe import setting
from cinescribe.describe.facts import slot_facts
from cinescribe.describe.writer import unlicensed_words, write

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"
BOX = (0.0, 0.0, 0.1, 0.1)


def frames_with(*per_frame: dict[str, float]) -> list[FrameAnalysis]:
    """Key frames whose ImageNet top classes are the given ``{class: probability}``."""
    return [FrameAnalysis(t=float(i), imagenet=[Label(k, v) for k, v in sorted(p.items(), key=lambda kv: -kv[1])])
            for i, p in enumerate(per_frame)]


def by_kind(facts):
    return {f.kind: f for f in facts}


@pytest.mark.parametrize("cls,word", [(c, w) for c, (w, _) in sorted(setting.SETTINGS.items())])
def test_each_whitelisted_setting_class_names_its_setting(cls, word):
    facts = setting.setting_facts(frames_with({cls: 0.6}, {cls: 0.4, "unicycle": 0.3}, {"pole": 0.5}), [])
    found = by_kind(facts)["setting"]
    assert (found.key, found.value) == (f"setting:{word}", word)
    assert found.evidence["frames"] == [0.0, 1.0] and found.evidence["model"] == setting.IMAGENET_MODEL
    assert setting.SETTING_PHRASES[word]
    place = setting.SETTINGS[cls][1]
    assert (by_kind(facts)["place"].value if "place" in by_kind(facts) else None) == place


@pytest.mark.parametrize("cls,word", sorted(setting.THINGS.items()))
def test_each_whitelisted_thing_class_names_its_thing(cls, word):
    facts = setting.thing_facts(frames_with({cls: 0.35}, {cls: 0.7}, {cls: 0.31}))
    assert [(f.kind, f.key, f.words) for f in facts] == [("object", f"object:{word}", (word,))]


def test_classes_of_one_word_add_up_and_a_confident_stranger_is_ignored():
    keyframes = frames_with({"pole": 0.2, "flagpole": 0.15, "unicycle": 0.6},
                            {"pole": 0.25, "flagpole": 0.1}, {"unicycle": 0.85})
    facts = setting.thing_facts(keyframes)
    assert [f.value for f in facts] == ["pole"]
    assert facts[0].evidence["scores"] == [0.35, 0.35]


def test_a_setting_in_one_of_three_frames_is_not_said():
    assert setting.setting_facts(frames_with({"restaurant": 0.9}, {"library": 0.2}, {"pole": 0.5}), []) == []


def test_a_single_key_frame_needs_a_higher_score():
    assert setting.setting_facts(frames_with({"valley": 0.45}), []) == []
    assert by_kind(setting.setting_facts(frames_with({"valley": 0.55}), []))["setting"].value == "valley"


def test_a_thing_coco_already_names_is_not_repeated():
    keyframes = frames_with({"tripod": 0.9}, {"tripod": 0.9})
    assert setting.thing_facts(keyframes)
    for f in keyframes:
        f.objects = [Detection("tripod", 0.6, BOX)]
    assert setting.thing_facts(keyframes) == []


def coco(*per_frame: list[tuple[str, float]]) -> list[FrameAnalysis]:
    return [FrameAnalysis(t=float(i), objects=[Detection(label, s, BOX) for label, s in dets])
            for i, dets in enumerate(per_frame)]


def test_table_with_cups_is_a_dining_scene():
    keyframes = coco([("dining table", 0.6), ("cup", 0.5)], [("dining table", 0.5), ("wine glass", 0.4)], [])
    facts = setting.setting_facts(keyframes, [])
    assert [(f.key, f.words) for f in facts] == [("setting:dining table", ("dining", "table"))]
    assert facts[0].evidence["frames"] == [0.0, 1.0]
    weak = coco([("dining table", 0.28), ("knife", 0.29)], [("dining table", 0.25), ("cup", 0.24)])  # box.mp4's
    assert setting.setting_facts(weak, []) == []


def test_traffic_lights_and_cars_are_a_street_outdoors():
    keyframes = coco([("car", 0.5), ("traffic light", 0.4)], [("bus", 0.6), ("traffic light", 0.5)])
    kinds = by_kind(setting.setting_facts(keyframes, []))
    assert kinds["setting"].value == "street" and kinds["place"].value == "outdoors"
    parked = coco([("car", 0.38), ("truck", 0.41)], [("car", 0.36), ("truck", 0.35)])  # vtest.avi's vans
    assert setting.setting_facts(parked, []) == []


def test_indoor_furniture_says_indoors_and_a_contradiction_says_nothing():
    keyframes = coco([("couch", 0.6)], [("tv", 0.5)])
    assert by_kind(setting.setting_facts(keyframes, []))["place"].value == "indoors"
    for f in keyframes:
        f.imagenet = [Label("seashore", 0.7)]
    assert "place" not in by_kind(setting.setting_facts(keyframes, []))


def dense(brightness: float, ground: float = 0.75, texture: float = 0.06, n: int = 6) -> list[FrameAnalysis]:
    return [FrameAnalysis(t=i / 4, pixels=PixelStats(brightness, 0.3, "green", green_ground=ground,
                                                     green_texture=texture)) for i in range(n)]


@pytest.mark.parametrize("brightness,daylight", [(0.47, "day"), (0.08, "night"), (0.2, None)])
def test_daylight_is_said_only_outdoors_and_when_measured(brightness, daylight):
    kinds = by_kind(setting.setting_facts([], dense(brightness)))
    assert kinds["setting"].value == "lawn" and kinds["place"].value == "outdoors"
    assert (kinds["daylight"].value if "daylight" in kinds else None) == daylight
    assert "daylight" not in by_kind(setting.setting_facts(coco([("couch", 0.6)]), []))


def test_foliage_or_a_flat_green_card_is_not_a_lawn():
    assert setting.setting_facts([], dense(0.65, ground=0.41, texture=0.135)) == []  # tree.avi's foliage
    assert setting.setting_facts([], dense(0.5, ground=0.2, texture=0.05)) == []
    assert setting.setting_facts([], dense(0.5, ground=1.0, texture=0.004)) == []


@pytest.mark.parametrize("ground,texture,leaves", [(0.41, 0.135, True), (0.31, 0.149, True), (0.75, 0.06, False),
                                                   (0.2, 0.14, False), (1.0, 0.004, False), (0.0, 0.0, False)])
def test_leaves_are_said_from_leafy_green(ground, texture, leaves):
    facts = setting.foliage_facts(dense(0.65, ground=ground, texture=texture))
    assert [f.value for f in facts] == (["green leaves"] if leaves else [])
    if leaves:
        assert facts[0].evidence["frames"] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]
        written = write(facts, 10)
        assert written.text == "Green leaves appear." and unlicensed_words(written) == []
        assert write(facts, 10, is_known=lambda key: True).text == "The green leaves remain."


def test_leaves_in_a_third_of_the_frames_are_not_said():
    frames = dense(0.65, ground=0.41, texture=0.135, n=3) + dense(0.65, ground=0.0, texture=0.0, n=4)
    assert setting.foliage_facts(frames) == []


def test_green_card_video_frames_are_not_a_lawn():
    import numpy as np

    from cinescribe.features.analysers.pixels import PixelAnalyser

    card = np.zeros((120, 160, 3), np.uint8)
    card[:] = (40, 160, 60)
    noisy = np.clip(card + np.random.default_rng(0).normal(0, 2, card.shape), 0, 255).astype(np.uint8)
    frames = [FrameAnalysis(t=0.0), FrameAnalysis(t=0.25)]
    PixelAnalyser().analyse([card, noisy], frames)
    assert all(f.pixels.green_ground == 1.0 and f.pixels.green_texture < setting.LAWN_MIN_TEXTURE for f in frames)
    assert setting.setting_facts([], frames) == []


def test_no_setting_switch_drops_the_facts():
    keyframes = frames_with({"pole": 0.5}, {"pole": 0.4})
    kinds = {f.kind for f in slot_facts(keyframes, dense(0.47))}
    assert {"setting", "place", "daylight", "object"} <= kinds
    assert not {"setting", "place", "daylight", "object"} & {f.kind for f in slot_facts(keyframes, dense(0.47),
                                                                                      setting=False)}


def test_written_place_traces_to_facts():
    facts = slot_facts(frames_with({"pole": 0.5}, {"pole": 0.4}, {"flagpole": 0.4}), dense(0.47))
    written = write(facts, 30)
    assert "beside a lawn" in written.text and "outdoors in daylight" in written.text and "pole" in written.text
    assert unlicensed_words(written) == []
    alone = write([f for f in facts if f.kind in ("setting", "place", "daylight")], 10)
    assert alone.text == "Outdoors in daylight beside a lawn." and unlicensed_words(alone) == []


# -- real footage and photos ----------------------------------------------------------------------

needs_clips = pytest.mark.skipif(not CLIPS.is_dir(), reason="../shared/data/clips is not there")


@pytest.fixture(scope="module")
def measure():
    from cinescribe.features.analysers.imagenet import ImageNetAnalyser
    from cinescribe.features.analysers.pixels import PixelAnalyser
    from cinescribe.media.frames import sample_frames

    imagenet = ImageNetAnalyser()

    def run(clip: str, start: float, end: float, keyframes: int = 3):
        with sample_frames(CLIPS / clip, 4.0, max_side=640, start=start, end=end) as stream:
            frames = [f for f in stream if start <= f.t <= end]
        all_frames = [FrameAnalysis(t=f.t) for f in frames]
        PixelAnalyser().analyse([f.image for f in frames], all_frames)
        step = len(frames) / keyframes
        chosen = [frames[int(step * (i + 0.5))] for i in range(keyframes)]
        keys = [FrameAnalysis(t=f.t) for f in chosen]
        imagenet.analyse([f.image for f in chosen], keys)
        return keys, all_frames

    yield run
    imagenet.close()


@needs_clips
@pytest.mark.parametrize("start", [0.0, 40.0])
def test_vtest_is_beside_a_lawn_outdoors_by_day_with_a_pole(measure, start):
    keys, frames = measure("vtest.avi", start, start + 8.0)
    assert setting.foliage_facts(frames) == []  # a lawn is not leaves
    kinds = by_kind(setting.setting_facts(keys, frames))
    assert kinds["setting"].value == "lawn" and kinds["place"].value == "outdoors"
    assert kinds["daylight"].value == "day"
    assert len(kinds["setting"].evidence["frames"]) >= 30
    assert [f.value for f in setting.thing_facts(keys)] == ["pole"]  # the lamp post


@needs_clips
def test_tree_through_a_window_has_no_setting_but_leaves(measure):
    keys, frames = measure("tree.avi", 0.0, 8.0)
    assert setting.setting_facts(keys, frames) == [] and setting.thing_facts(keys) == []
    leaves = setting.foliage_facts(frames)
    assert [f.value for f in leaves] == ["green leaves"] and len(leaves[0].evidence["frames"]) >= 30


@needs_clips
def test_box_clip_shows_a_box_and_no_setting(measure):
    keys, frames = measure("box.mp4", 3.0, 7.0)
    assert setting.setting_facts(keys, frames) == [] and setting.foliage_facts(frames) == []
    assert [f.value for f in setting.thing_facts(keys)] == ["box"]


@needs_clips
def test_bottle_on_a_white_wall_claims_nothing(measure):
    keys, frames = measure("cup.mp4", 0.5, 7.5)
    assert setting.setting_facts(keys, frames) == [] and setting.thing_facts(keys) == []


def test_photo_of_a_cameraman_shows_a_tripod():
    from cinescribe.demo import sample_photo
    from cinescribe.features.analysers.imagenet import ImageNetAnalyser

    key = [FrameAnalysis(t=0.0)]
    ImageNetAnalyser().analyse([sample_photo("camera")], key)
    facts = setting.thing_facts(key)
    assert [(f.value, f.evidence["classes"]["tripod"] > 0.9) for f in facts] == [("tripod", True)]
