"""Characters: face tracks clustered over a video, how sentences refer to them, renaming, the cast."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cinescribe.describe.cast import load_cast, read_cast
from cinescribe.describe.characters import (
    CharacterReferences,
    character_facts,
    choose_cut,
    colour_name,
    find_characters,
    rename_character,
)
from cinescribe.describe.facts import Fact
from cinescribe.describe.writer import unlicensed_words, write
from cinescribe.errors import InputError
from cinescribe.features.analysers.base import Face, FrameAnalysis
from cinescribe.features.analysers.vectors import pack, unpack
from cinescribe.timeline import Interval

RNG = np.random.default_rng(3)
PEOPLE = {name: RNG.normal(size=1024) for name in "ABC"}
COLOURS = {"A": (120, 40, 150), "B": (20, 20, 20), "C": (30, 60, 200)}
GENDER = {"A": ("female", 0.95), "B": ("male", 0.9), "C": ("female", 0.3)}


def _face(name: str, box=(0.4, 0.2, 0.6, 0.5), noise: float = 0.9) -> Face:
    """A face of ``name`` whose single vector is noisy (cosine to another frame's about 0.55)."""
    v = PEOPLE[name] / np.linalg.norm(PEOPLE[name]) + noise * RNG.normal(size=1024) / 32
    gender, score = GENDER[name]
    return Face(0.95, box, descriptor=pack(v), gender=gender, gender_score=score, age=30,
                torso_rgb=COLOURS[name], hair_rgb=(40, 30, 20))


def _video(order, seconds=2.0, per_shot=4):
    """Frames and shots of a video whose shots show ``order`` (a name, or a pair side by side)."""
    frames, shots = [], []
    for k, who in enumerate(order):
        start = k * seconds
        shots.append(Interval(start, start + seconds))
        for i in range(per_shot):
            t = round(start + (i + 0.5) * seconds / per_shot, 3)
            if isinstance(who, tuple):
                faces = [_face(who[0], (0.1, 0.2, 0.3, 0.5)), _face(who[1], (0.6, 0.2, 0.8, 0.5))]
            else:
                faces = [_face(who)]
            frames.append(FrameAnalysis(t=t, faces=faces))
    return frames, shots


def test_single_frames_do_not_separate_people_but_shot_means_do():
    a1, a2, b1 = (unpack(_face(n).descriptor) for n in "AAB")
    assert float(a1 @ a2) < 0.75  # one frame against another of the same person: no safe threshold
    mean_a = np.mean([unpack(_face("A").descriptor) for _ in range(4)], axis=0)
    mean_a2 = np.mean([unpack(_face("A").descriptor) for _ in range(4)], axis=0)
    cos = float(mean_a @ mean_a2 / np.linalg.norm(mean_a) / np.linalg.norm(mean_a2))
    assert cos > 0.8 and float(a1 @ b1) < 0.2


def test_a_character_returning_after_a_cut_keeps_its_id_and_label():
    frames, shots = _video(["A", "B", "A", "C", "B", "A"])
    chars = find_characters(frames, shots)
    assert [c.id for c in chars] == ["c1", "c2", "c3"]  # in order of first appearance
    by_id = {c.id: c for c in chars}
    assert sorted({t.shot for t in by_id["c1"].tracks}) == [0, 2, 5]
    assert sorted({t.shot for t in by_id["c2"].tracks}) == [1, 4]
    assert sorted({t.shot for t in by_id["c3"].tracks}) == [3]
    assert by_id["c1"].label == "a woman in a purple top" and by_id["c1"].short == "the woman in purple"
    assert by_id["c2"].label == "a man in a black top"
    assert by_id["c3"].label == "a person in a blue top"  # gender not confident: not said
    # appearances cover the character's shots, within them
    assert [(a.start, a.end) for a in by_id["c2"].appearances] == [(2.0, 4.0), (8.0, 10.0)]
    refs = CharacterReferences(chars)
    texts = []
    for shot in range(len(shots)):
        times = [f.t for f in frames if shots[shot].start <= f.t < shots[shot].end]
        facts = character_facts(chars, times, refs)
        written = write(facts, 12, refs=refs)
        assert not unlicensed_words(written)
        for f in written.facts:
            if f.kind == "character":
                refs.mention(str(f.value))
        texts.append(written.text)
    assert texts[0] == "A woman in a purple top appears."
    assert texts[2] == "The woman in purple remains."  # after a cut: the same reference, not "a person"
    assert texts[5] == "The woman in purple remains."


def test_two_faces_in_one_frame_are_two_characters_even_when_alike():
    frames, shots = _video([("A", "B"), "A", "B"])
    for fa in frames[:4]:  # make the pair in the first shot look alike
        fa.faces = [fa.faces[0], Face(0.95, (0.6, 0.2, 0.8, 0.5), descriptor=fa.faces[0].descriptor)]
    chars = find_characters(frames, shots)
    first_shot = [c for c in chars if any(t.shot == 0 for t in c.tracks)]
    assert len(first_shot) == 2


def test_low_scoring_faces_do_not_make_characters():
    frames, shots = _video(["A", "B"])
    for fa in frames:
        fa.faces = [Face(0.5, f.box, descriptor=f.descriptor) for f in fa.faces]
    assert find_characters(frames, shots) == []


def test_the_cut_falls_in_the_widest_gap_between_merges():
    assert choose_cut([0.05, 0.1, 0.6, 0.7]) == pytest.approx(0.325)  # no merge in doubt: the middle
    assert choose_cut([0.1, 0.25, 0.27, 0.42]) == pytest.approx(0.345)


def test_a_cast_names_the_characters_and_keeps_ids():
    frames, shots = _video(["A", "B", "A", "C"])
    cast = {"Zoë Ñúñez": PEOPLE["A"], "山田 太郎": PEOPLE["B"]}
    chars = find_characters(frames, shots, cast)
    assert [(c.id, c.name) for c in chars] == [("c1", "Zoë Ñúñez"), ("c2", "山田 太郎"), ("c3", None)]
    refs = CharacterReferences(chars)
    assert refs.phrase("c1") == "Zoë Ñúñez"
    refs.mention("c1")
    assert refs.phrase("c1") == "Zoë Ñúñez" and "zoë" in refs.words("c1")


def test_references_never_go_back_to_a_label_after_a_name():
    refs = CharacterReferences([{"id": "c1", "name": None, "label": "a man in a blue top", "short": "the man in blue",
                                 "evidence": {"gender": "male"}},
                                {"id": "c2", "name": None, "label": "a man in a red top", "short": "the man in red",
                                 "evidence": {"gender": "male"}}])
    assert refs.phrase("c1") == "a man in a blue top"
    refs.mention("c1")
    assert refs.phrase("c1") == "the man in blue"
    assert refs.pronoun("c1") == "he" and refs.pronoun("c1", present=["c1", "c2"]) is None
    refs.characters["c1"]["name"] = "Ahmed"
    assert refs.phrase("c1") == "Ahmed"
    refs.mention("c2")
    assert refs.phrase("c1") == "Ahmed" and refs.pronoun("c1") is None  # c2 was mentioned last


def test_colour_words():
    assert [colour_name(c) for c in [(10, 10, 10), (240, 240, 240), (128, 128, 128), (200, 30, 30), (230, 140, 40),
                                     (40, 160, 60), (30, 60, 200), (120, 40, 150), (110, 70, 30)]] == \
        ["black", "white", "grey", "red", "orange", "green", "blue", "purple", "brown"]


def _doc():
    return {
        "characters": [{"id": "c1", "name": None, "label": "a woman in a purple top", "short": "the woman in purple"},
                       {"id": "c2", "name": None, "label": "a man", "short": "the man"}],
        "descriptions": [
            {"index": 0, "text": "A woman in a purple top appears.", "words": 6,
             "mentions": [{"character": "c1", "phrase": "a woman in a purple top"}]},
            {"index": 1, "text": "In close-up, a man and the woman in purple stand.", "words": 10,
             "mentions": [{"character": "c2", "phrase": "a man"}, {"character": "c1", "phrase": "the woman in purple"}]},
            {"index": 2, "text": "The camera pans left.", "words": 4, "mentions": []},
        ],
    }


def test_renaming_rewrites_every_ad_that_mentions_the_character():
    doc = _doc()
    assert rename_character(doc, "c1", "Zoë") == [0, 1]
    assert [d["text"] for d in doc["descriptions"]] == [
        "Zoë appears.", "In close-up, a man and Zoë stand.", "The camera pans left."]
    assert doc["characters"][0]["name"] == "Zoë"
    assert rename_character(doc, "c1", "山田") == [0, 1]  # renaming again replaces the name
    assert doc["descriptions"][0]["text"] == "山田 appears."
    with pytest.raises(InputError, match="already named"):
        rename_character(doc, "c2", "山田")
    # a shorter reference inside a longer one is not mistaken for it
    d = {"index": 5, "text": "The person in orange and the person remain.", "mentions": [
        {"character": "c1", "phrase": "the person in orange"}, {"character": "c2", "phrase": "the person"}]}
    doc["descriptions"].append(d)
    assert rename_character(doc, "c2", "Bo") == [1, 5]
    assert d["text"] == "The person in orange and Bo remain."
    assert doc["descriptions"][1]["text"] == "In close-up, Bo and 山田 stand."
    with pytest.raises(InputError, match="no character"):
        rename_character(doc, "c9", "X")


# ------------------------------------------------------------------ cast input


class _NoFaces:
    """An analyser that finds no face: the cast check must name the photo."""

    name = "human"
    model_id = "test/no-faces"

    def analyse(self, images, out):
        pass

    def close(self):
        pass


def _photo(path, colour=(200, 100, 50)):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), colour).save(path)
    return path


def test_cast_folder_and_json(tmp_path):
    _photo(tmp_path / "folder" / "Zoë" / "1.jpg")
    _photo(tmp_path / "folder" / "山田 太郎" / "a.png")
    assert sorted(read_cast(tmp_path / "folder")) == ["Zoë", "山田 太郎"]
    _photo(tmp_path / "p.jpg")
    (tmp_path / "cast.json").write_text(json.dumps({"Ana María": ["p.jpg"], "Bo": "p.jpg"}), encoding="utf-8")
    cast = read_cast(tmp_path / "cast.json")
    assert cast == {"Ana María": [tmp_path / "p.jpg"], "Bo": [tmp_path / "p.jpg"]}


@pytest.mark.parametrize("case", ["empty", "duplicate-json", "duplicate-nfc", "missing", "not-json", "no-photos"])
def test_bad_cast_is_a_one_line_error_naming_the_file(tmp_path, case):
    if case == "empty":
        (tmp_path / "cast").mkdir()
        target, needle = tmp_path / "cast", "is empty"
    elif case == "duplicate-json":
        _photo(tmp_path / "p.jpg")
        (tmp_path / "c.json").write_text('{"Zoë": ["p.jpg"], "Zoë": ["p.jpg"]}', encoding="utf-8")
        target, needle = tmp_path / "c.json", "appears twice"
    elif case == "duplicate-nfc":
        _photo(tmp_path / "p.jpg")
        (tmp_path / "c.json").write_text(json.dumps({"Zo\u00eb": ["p.jpg"], "Zoe\u0308": ["p.jpg"]}), encoding="utf-8")
        target, needle = tmp_path / "c.json", "appears twice"
    elif case == "missing":
        (tmp_path / "c.json").write_text(json.dumps({"Bo": ["gone.jpg"]}), encoding="utf-8")
        target, needle = tmp_path / "c.json", "gone.jpg"
    elif case == "not-json":
        (tmp_path / "c.json").write_text("{oops", encoding="utf-8")
        target, needle = tmp_path / "c.json", "c.json"
    else:
        (tmp_path / "cast" / "Bo").mkdir(parents=True)
        target, needle = tmp_path / "cast", "Bo"
    with pytest.raises(InputError, match=needle) as err:
        read_cast(target)
    assert "\n" not in str(err.value)


def test_cast_photo_that_is_not_an_image_or_has_no_face(tmp_path):
    bad = tmp_path / "cast" / "Bo" / "broken.jpg"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(InputError, match="broken.jpg: cannot be read as an image"):
        load_cast(tmp_path / "cast", analyser=_NoFaces())
    bad.unlink()
    _photo(tmp_path / "cast" / "Bo" / "wall.jpg")
    with pytest.raises(InputError, match="wall.jpg: no face found"):
        load_cast(tmp_path / "cast", analyser=_NoFaces())


@pytest.mark.parametrize("case", ["empty", "duplicate", "unreadable"])
def test_describe_cli_rejects_a_bad_cast_with_one_line(tmp_path, case):
    import subprocess
    import sys

    from cinescribe.face_videos import make_face_video, shot_plan

    video = tmp_path / "v.mp4"
    make_face_video(video, shot_plan(["astronaut"], 1.0), size=(160, 96))
    cast = tmp_path / "cast"
    cast.mkdir()
    if case == "duplicate":
        _photo(tmp_path / "p.jpg")
        cast = tmp_path / "cast.json"
        cast.write_text('{"Ana": ["p.jpg"], "Ana": ["p.jpg"]}', encoding="utf-8")
    elif case == "unreadable":
        (cast / "Ana").mkdir()
        (cast / "Ana" / "ana.jpg").write_bytes(b"\xff\xd8 truncated")
    proc = subprocess.run([sys.executable, "-m", "cinescribe", "describe", str(video), "-o", str(tmp_path / "out"),
                           "--cast", str(cast)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert {"empty": "is empty", "duplicate": "cast.json", "unreadable": "ana.jpg"}[case] in errors[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_character_facts_license_the_reference_words():
    refs = CharacterReferences([{"id": "c1", "name": "Zoë", "label": "a woman in a purple top",
                                 "short": "the woman in purple"}])
    fact = Fact("character", "character:c1", "c1", refs.words("c1"), 1.0, {"character": "c1"})
    written = write([fact], 6, refs=refs)
    assert written.text == "Zoë appears." and not unlicensed_words(written)


def test_packed_vectors_keep_their_cosine():
    a, b = RNG.normal(size=1024), RNG.normal(size=1024)
    b = a + 0.8 * b
    exact = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    packed = pack(a), pack(b)
    assert len(packed[0]) == 2732  # 1024 float16 in base64
    assert abs(float(unpack(packed[0]) @ unpack(packed[1])) - exact) < 1e-3


def test_torso_colour_comes_from_between_shoulders_and_hips():
    from cinescribe.features.analysers.appearance import median_rgb, pose_for_face, torso_region

    image = np.zeros((100, 100, 3), np.uint8)
    image[40:80, 30:70] = (120, 40, 150)  # a purple top
    face = (0.4, 0.1, 0.6, 0.35)
    pose = {"nose": (0.5, 0.25, 0.9), "left_shoulder": (0.65, 0.4, 0.9), "right_shoulder": (0.35, 0.4, 0.9),
            "left_hip": (0.62, 0.8, 0.9), "right_hip": (0.38, 0.8, 0.9)}
    elsewhere = {"nose": (0.1, 0.1, 0.9)}
    assert pose_for_face(face, [elsewhere, pose]) is pose
    region = torso_region(face, pose, aspect=1.0)
    assert region == pytest.approx((0.41, 0.46, 0.59, 0.74))
    assert median_rgb(image, region) == (120, 40, 150)
    assert median_rgb(image, (0.5, 1.5, 0.6, 2.0)) is None  # wholly outside the frame
