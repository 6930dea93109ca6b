"""The describe pipeline end to end on generated media with known speech and shots."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from cinescribe.describe.pipeline import DescribeConfig, choose_keyframes, describe_video
from conftest import describe_files
from cinescribe.describe.planner import PlannerConfig
from cinescribe.describe.writer import FUNCTION_WORDS, content_words
from cinescribe.features.analysers.base import Detection

PIXELS_ONLY = DescribeConfig(objects=False, faces=False, poses=False, ocr=False, setting=False)
# where neither speech recognition nor the shot network is under test (the colour-histogram detector finds the
# same cuts in these generated videos; speech activity alone then counts as dialogue)
FAST = replace(PIXELS_ONLY, asr="", shots="content")


class FakeCatDetector:
    """Sees a large cat in every frame: stands in for the object detector."""

    name = "objects"
    model_id = "test/fake-cat"

    def __init__(self) -> None:
        self.frames = 0

    def analyse(self, images, out):
        for image, fa in zip(images, out):
            assert image.ndim == 3 and image.shape[2] == 3
            fa.objects.append(Detection("cat", 0.9, (0.2, 0.2, 0.8, 0.9)))
            self.frames += 1

    def close(self):
        pass


def _frames(colours):
    import numpy as np

    from cinescribe.media.frames import Frame

    return [Frame(index=i, t=0.25 * i, image=np.full((48, 64, 3), c, np.uint8)) for i, c in enumerate(colours)]


@pytest.mark.parametrize("selector", ["uniform", "redundancy", "events"])
def test_keyframes_are_distinct_frames_of_the_slot(selector):
    frames = _frames([(200, 30, 30)] * 6 + [(30, 30, 200)] * 6)
    chosen = choose_keyframes(frames, DescribeConfig(keyframes=3, keyframe_selector=selector), [])
    assert 1 <= len(chosen) <= 3
    assert len({f.t for f in chosen}) == len(chosen) and all(f in frames for f in chosen)


def test_event_keyframes_catch_a_short_insert_that_uniform_misses():
    red, blue, green = (200, 30, 30), (30, 30, 200), (30, 200, 30)
    frames = _frames([red] * 7 + [green] + [blue] * 4)  # a one-frame insert between the centres of the thirds
    colours = {sel: {tuple(f.image[0, 0]) for f in choose_keyframes(frames, DescribeConfig(keyframes=3,
                                                                                         keyframe_selector=sel), [])}
               for sel in ("uniform", "events")}
    assert colours["events"] == {red, green, blue}
    assert green not in colours["uniform"]


def test_unknown_keyframe_selector_is_an_input_error(speech_video):
    from cinescribe.errors import InputError

    with pytest.raises(InputError, match="keyframe-selector"):
        describe_video(speech_video.path, cfg=DescribeConfig(keyframe_selector="best"), analysers=[])


@pytest.mark.slow
def test_slots_avoid_true_speech_and_fill_the_gaps(speech_video):
    script = describe_video(speech_video.path, cfg=PIXELS_ONLY, analysers=[])
    slots = [d.slot for d in script.descriptions]
    assert slots, "a 10 s video with long gaps must get slots"
    for slot in slots:
        assert slot.duration >= 1.2 - 1e-9
        assert slot.word_budget == int(slot.duration * 2.5 + 1e-9)
        for speech in speech_video.speech:
            assert slot.end <= speech.start or slot.start >= speech.end, (slot, speech)
    # Every gap of at least 1.2 s + margins between the true speech lines holds a slot.
    edges = [0.0] + [x for iv in speech_video.speech for x in (iv.start, iv.end)] + [speech_video.duration]
    gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= 1.2 + 0.5]
    for a, b in gaps:
        assert any(s.start < b and a < s.end for s in slots), (a, b, slots)


@pytest.mark.slow
def test_every_word_traces_to_a_fact(speech_video, tmp_path):
    fake = FakeCatDetector()
    script, paths = describe_files(speech_video.path, tmp_path, cfg=FAST, analysers=[fake])
    assert fake.frames > 0
    doc = json.loads(paths["json"].read_text())
    spoken = [d for d in doc["descriptions"] if d["text"]]
    assert spoken and "cat" in spoken[0]["text"].lower()
    for d in doc["descriptions"]:
        allowed = set(FUNCTION_WORDS)
        for fact in d["facts"]:
            allowed.update(w.lower() for w in fact["words"])
        assert all(w in allowed for w in content_words(d["text"])), d
        assert d["words"] <= d["word_budget"]
        assert all(d["start"] <= t <= d["end"] for t in d["keyframes"])
    assert doc["models"]["objects"] == "test/fake-cat"
    assert doc["video"]["fingerprint"].startswith("sha256:")
    assert set(doc["timings_s"]) == {"probe", "dialogue", "shots", "load_models", "slots"}


@pytest.mark.slow
def test_repeated_cat_is_not_reintroduced(speech_video):
    script = describe_video(speech_video.path, cfg=PIXELS_ONLY, analysers=[FakeCatDetector()])
    texts = [d.text for d in script.spoken]
    assert texts[0].startswith("A cat") or "a cat" in texts[0]
    assert all("a cat" not in t.lower() for t in texts[1:]), texts


@pytest.mark.slow
def test_subtitles_count_as_dialogue(speech_video, tmp_path):
    subs = tmp_path / "subs.srt"
    subs.write_text("1\n00:00:02,000 --> 00:00:04,000\nA subtitle line\n")
    script = describe_video(speech_video.path, subtitles=subs, cfg=PIXELS_ONLY, analysers=[])
    assert script.subtitles == 1
    for d in script.descriptions:
        assert d.slot.end <= 2.0 or d.slot.start >= 4.0


@pytest.mark.slow
def test_custom_budget_rate(speech_video):
    cfg = DescribeConfig(planner=PlannerConfig(words_per_second=1.0), objects=False, faces=False, poses=False, ocr=False, setting=False)
    script = describe_video(speech_video.path, cfg=cfg, analysers=[])
    assert all(d.slot.word_budget == int(d.slot.duration) for d in script.descriptions)


class Interrupt(BaseException):
    """Stands in for Ctrl-C / a killed process in the middle of a run."""


class InterruptingDetector(FakeCatDetector):
    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def analyse(self, images, out):
        if self.frames >= self.after:
            raise Interrupt()
        super().analyse(images, out)


def test_interrupted_run_resumes_without_redoing_slots(speech_video, tmp_path):
    reference, _ = describe_files(speech_video.path, tmp_path / "ref", cfg=FAST, analysers=[FakeCatDetector()])
    assert len(reference.descriptions) >= 3

    out = tmp_path / "out"
    with pytest.raises(Interrupt):
        describe_files(speech_video.path, out, cfg=FAST, analysers=[InterruptingDetector(after=3)])
    journal = out / ".speech.ad.journal.jsonl"
    assert journal.exists() and not (out / "speech.ad.json").exists()
    finished = len(journal.read_text().splitlines()) - 1
    assert 1 <= finished < len(reference.descriptions)

    counting = FakeCatDetector()
    resumed, paths = describe_files(speech_video.path, out, cfg=FAST, analysers=[counting])
    assert [d.to_dict() for d in resumed.descriptions] == [d.to_dict() for d in reference.descriptions]
    redone = sum(1 for d in reference.descriptions[finished:] for _ in d.keyframes)
    assert counting.frames == redone
    assert not journal.exists()
    assert resumed.models["objects"] == "test/fake-cat"


@pytest.mark.slow
def test_journal_of_another_configuration_is_ignored(speech_video, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(Interrupt):
        describe_files(speech_video.path, out, cfg=PIXELS_ONLY, analysers=[InterruptingDetector(after=3)])
    other = DescribeConfig(keyframes=2, objects=False, faces=False, poses=False, ocr=False, setting=False)
    counting = FakeCatDetector()
    script, _ = describe_files(speech_video.path, out, cfg=other, analysers=[counting])
    assert counting.frames == sum(len(d.keyframes) for d in script.descriptions)


@pytest.mark.slow
def test_a_new_script_keeps_the_score_tracks_of_the_same_video(speech_video, fade_video, tmp_path):
    from cinescribe.describe.segment_scores import TRACK_SCHEMA, attach_track

    track = {"schema": TRACK_SCHEMA, "name": "arousal", "task": "regression", "names": ["arousal"], "window": 5.0,
             "segments": [{"start": 0.0, "end": 5.0, "scores": {"arousal": 0.5}}]}
    out = tmp_path / "out"
    _, paths = describe_files(speech_video.path, out, cfg=PIXELS_ONLY, analysers=[FakeCatDetector()])
    attach_track(paths["json"], track)
    _, paths = describe_files(speech_video.path, out, cfg=replace(PIXELS_ONLY, keyframes=2),
                                  analysers=[FakeCatDetector()])
    doc = json.loads(paths["json"].read_text())
    assert doc["config"]["keyframes"] == 2 and doc["tracks"] == [track]  # described again, the track kept
    other = out / "speech.mp4"
    shutil.copyfile(fade_video.path, other)  # another video under the same name: its old tracks do not apply
    _, paths = describe_files(other, out, cfg=PIXELS_ONLY, analysers=[FakeCatDetector()])
    assert "tracks" not in json.loads(paths["json"].read_text())


class FakeWalker:
    """Stands in for the human analyser: one person walking right at 0.4 heights a second."""

    name = "human"
    model_id = "test/fake-walker"

    def __init__(self) -> None:
        self.times: list[float] = []

    def analyse(self, images, out):
        for fa in out:
            self.times.append(fa.t)
            x = 0.05 + 0.09 * (fa.t % 10)
            fa.objects.append(Detection("person", 0.7, (x, 0.4, x + 0.08, 0.8)))

    def close(self):
        pass


@pytest.mark.slow
def test_tracked_people_and_their_walk_reach_the_script(speech_video):
    walker = FakeWalker()
    script = describe_video(speech_video.path, cfg=PIXELS_ONLY, analysers=[walker])
    walks = [(d, f) for d in script.descriptions for f in d.considered if f.key == "action:walk"]
    assert walks, [d.text for d in script.descriptions]
    for d, fact in walks:
        assert fact.evidence["direction"] == "right" and fact.evidence["tracks"]
        # one person per shot: a slot spanning a cut counts the walker once per shot (not followed across it)
        people = next(f for f in d.considered if f.kind == "people")
        assert people.value == len(people.evidence["tracks"]) >= fact.evidence["count"] >= 1
    assert any("person walks" in d.text for d in script.descriptions), [d.text for d in script.descriptions]
    # the tracker saw about two frames a second, more than the key frames alone
    assert len(set(walker.times)) > sum(len(d.keyframes) for d in script.descriptions)


def test_tracking_frames_are_about_two_a_second_with_the_key_frames():
    from cinescribe.describe.pipeline import tracking_frames

    frames = _frames([(10 * i, 0, 0) for i in range(32)])  # 8 s at 4 fps
    keyframes = [frames[1], frames[17], frames[30]]
    chosen = tracking_frames(frames, keyframes, DescribeConfig())
    assert all(k in chosen for k in keyframes)
    assert 16 <= len(chosen) <= 19 and chosen[0] is frames[0] and chosen[-1] is frames[-1]
    few = tracking_frames(frames, keyframes, DescribeConfig(track_frames=4))
    assert len(few) <= 4 + 3
