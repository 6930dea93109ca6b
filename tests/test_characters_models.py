"""Characters with the real models: faceres identity vectors, and describe on a video cutting
between photos of real people (with and without a cast)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from cinescribe.describe.cast import load_cast
from cinescribe.describe.pipeline import DescribeConfig, describe_video
from cinescribe.face_videos import make_face_video, person_photo, shot_plan
from cinescribe.features.analysers.appearance import colour_name
from cinescribe.features.analysers.base import FrameAnalysis
from cinescribe.features.analysers.human import HumanAnalyser
from cinescribe.features.analysers.vectors import unpack

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the perception models")


@pytest.fixture(scope="module")
def analyser():
    with HumanAnalyser(objects=False) as a:
        yield a


def _vector(analyser, image) -> np.ndarray:
    fa = FrameAnalysis(t=0.0)
    analyser.analyse([np.ascontiguousarray(image)], [fa])
    face = max(fa.faces, key=lambda f: f.score)
    return unpack(face.descriptor), face


def test_faceres_gives_a_unit_identity_vector_that_tells_people_apart(analyser):
    a, face = _vector(analyser, person_photo("astronaut"))
    a_mirror, _ = _vector(analyser, person_photo("astronaut")[:, ::-1])
    h, _ = _vector(analyser, person_photo("hopper"))
    assert a.shape == (1024,) and a.dtype == np.float32
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-2
    assert float(a @ a_mirror) > 0.85  # the same face mirrored
    assert float(a @ h) < 0.6  # two people
    assert face.gender in ("female", "male") and 0.0 <= face.gender_score <= 1.0
    # her torso: the orange suit (half its pixels) round a black undergarment and a purple-grey neck
    # ring: no colour has the clear majority a clothing colour needs, and it must not read black
    assert face.torso_rgb is None or colour_name(face.torso_rgb) == "orange"


@pytest.mark.slow
def test_describe_keeps_a_returning_character_and_names_the_cast(tmp_path, analyser):
    video = tmp_path / "people.mp4"
    truth = make_face_video(video, shot_plan(["astronaut", "hopper", "astronaut", "cameraman"], 3.0), size=(480, 270))
    cast_dir = tmp_path / "cast"
    for name, who in (("Eileen Collins", "astronaut"), ("Grace Hopper", "hopper")):
        (cast_dir / name).mkdir(parents=True)
        from PIL import Image

        Image.fromarray(person_photo(who)).save(cast_dir / name / "photo.png")
    cast = load_cast(cast_dir, analyser=analyser)
    assert set(cast) == {"Eileen Collins", "Grace Hopper"} and all(v.shape == (1024,) for v in cast.values())

    cfg = DescribeConfig(objects=False, ocr=False, keyframes=6, max_side=480, cast=str(cast_dir))
    script = describe_video(video, cfg=cfg, analysers=[analyser])
    doc = json.loads(json.dumps(script.to_dict()))
    chars = doc["characters"]
    assert [c["id"] for c in chars] == ["c1", "c2", "c3"]
    names = {c["id"]: c["name"] for c in chars}
    assert names == {"c1": "Eileen Collins", "c2": "Grace Hopper", "c3": None}

    def shots_of(c):
        return {i for i, (s, e, _) in enumerate(truth) for a in c["appearances"] if a["start"] < e and a["end"] > s}

    assert [shots_of(c) for c in chars] == [{0, 2}, {1}, {3}]  # the astronaut returns after a cut as c1
    mentioned = [cid for d in doc["descriptions"] for cid in d["characters"]]
    assert "c1" in mentioned
    for d in doc["descriptions"]:
        for m in d["mentions"]:
            assert m["phrase"].lower() in d["text"].lower()
            if m["character"] == "c1":
                assert m["phrase"] == "Eileen Collins"
