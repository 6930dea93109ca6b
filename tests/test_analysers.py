"""Perception analysers on real photos (scikit-image's data folder) and a rendered text card."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from cinescribe.demo import sample_photo as photo, text_card
from cinescribe.errors import MissingDependencyError
from cinescribe.features.analysers import analyse_frames
from cinescribe.features.analysers.base import FrameAnalysis
from cinescribe.features.analysers.human import HumanAnalyser, WorkerError, derive_posture, find_node_dir

skimage = pytest.importorskip("skimage")

NODE_READY = shutil.which("node") is not None and (find_node_dir() / "node_modules" / "@vladmandic" / "human-models").is_dir()
needs_node = pytest.mark.skipif(not NODE_READY, reason="node or node/node_modules missing (run `make setup`)")


@pytest.fixture(scope="module")
def human():
    if not NODE_READY:
        pytest.skip("node or node/node_modules missing (run `make setup`)")
    with HumanAnalyser() as analyser:
        yield analyser


@pytest.fixture(scope="module")
def photos(human):
    names = ["astronaut.png", "chelsea.png", "coffee.png"]
    frames = analyse_frames([photo(n) for n in names], [0.0, 1.0, 2.0], [human])
    return dict(zip(names, frames))


@needs_node
def test_astronaut_person_and_face(photos):
    f = photos["astronaut.png"]
    assert any(d.label == "person" and d.score >= 0.4 for d in f.objects), f.objects
    assert f.faces, "no face found"
    x0, y0, x1, y1 = f.faces[0].box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    assert 0.25 < cx < 0.65 and 0.05 < cy < 0.45, f.faces[0]  # her face: upper middle of the photo
    assert f.faces[0].expression in {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
    assert f.poses and len(f.poses[0].keypoints) == 17
    assert all(0 <= v <= 1 for d in f.objects for v in d.box)


@needs_node
def test_chelsea_is_a_cat(photos):
    f = photos["chelsea.png"]
    assert f.objects and f.objects[0].label == "cat", f.objects
    assert not f.faces  # a cat's face is not a human face


@needs_node
def test_coffee_has_a_cup(photos):
    assert any(d.label == "cup" for d in photos["coffee.png"].objects), photos["coffee.png"].objects


@needs_node
def test_bad_frame_size_is_a_clear_error(human):
    worker = human._worker
    answer = worker.request({"cmd": "analyse", "width": 10, "height": 10, "tasks": ["objects"]}, b"\0" * 299)
    assert answer["ok"] is False and "300" in answer["error"]
    answer = worker.request({"cmd": "analyse", "width": 0, "height": 10}, b"")
    assert answer["ok"] is False and "size" in answer["error"]
    # the worker is still in sync and answers the next frame
    out = [FrameAnalysis(t=0.0)]
    human.analyse([np.zeros((36, 64, 3), np.uint8)], out)
    assert out[0].objects == [] and out[0].faces == []


@needs_node
def test_wrong_array_is_rejected(human):
    from cinescribe.errors import InputError

    with pytest.raises(InputError):
        human.analyse([np.zeros((10, 10), np.uint8)], [FrameAnalysis(t=0.0)])


def test_missing_node_modules(tmp_path):
    (tmp_path / "perception_worker.js").write_text("// stub\n")
    with pytest.raises(MissingDependencyError, match="make setup"):
        HumanAnalyser(node_dir=tmp_path, node=shutil.which("node") or "node")


def test_closed_analyser_refuses_work(tmp_path):
    with pytest.raises(WorkerError):
        a = HumanAnalyser.__new__(HumanAnalyser)
        a._workers, a._torch = [], None
        a.measure(np.zeros((4, 4, 3), np.uint8))


def test_ocr_reads_a_text_card():
    from cinescribe.features.analysers.ocr import OcrAnalyser

    ocr = OcrAnalyser()
    try:
        out = analyse_frames([text_card(["THE END", "Directed by Ada Lovelace"])], [5.0], [ocr])
    finally:
        ocr.close()
    assert [t.text for t in out[0].text] == ["THE END", "Directed by Ada Lovelace"]
    assert out[0].t == 5.0 and all(t.score >= 0.7 for t in out[0].text)
    assert out[0].text[0].box[1] < out[0].text[1].box[1]


def test_ocr_skips_blank_frames():
    from cinescribe.features.analysers.ocr import OcrAnalyser

    ocr = OcrAnalyser()
    out = [FrameAnalysis(t=0.0)]
    ocr.analyse([np.full((90, 160, 3), 128, np.uint8)], out)
    assert out[0].text == []


# ---------------------------------------------------------------- posture (no model)


def body(**points):
    """Keypoints from name=(x, y); everything not given is absent (score 0)."""
    names = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
             "left_knee", "right_knee", "left_ankle", "right_ankle"]
    return {n: (*points[n], 0.9) if n in points else (0.0, 0.0, 0.0) for n in names}


STANDING = dict(nose=(0.5, 0.1), left_shoulder=(0.55, 0.2), right_shoulder=(0.45, 0.2),
                left_elbow=(0.57, 0.32), right_elbow=(0.43, 0.32), left_wrist=(0.57, 0.43), right_wrist=(0.43, 0.43),
                left_hip=(0.54, 0.45), right_hip=(0.46, 0.45), left_knee=(0.54, 0.67), right_knee=(0.46, 0.67),
                left_ankle=(0.54, 0.9), right_ankle=(0.46, 0.9))


def test_posture_standing():
    assert derive_posture(body(**STANDING)) == "standing"


def test_posture_sitting():
    kp = dict(STANDING, left_knee=(0.70, 0.47), right_knee=(0.64, 0.48), left_ankle=(0.70, 0.70), right_ankle=(0.64, 0.70))
    assert derive_posture(body(**kp)) == "sitting"


def test_posture_arms_raised():
    kp = dict(STANDING, left_elbow=(0.6, 0.1), right_elbow=(0.4, 0.1), left_wrist=(0.6, 0.02), right_wrist=(0.4, 0.02))
    assert derive_posture(body(**kp)) == "arms raised"


def test_posture_lying_down():
    kp = dict(nose=(0.1, 0.5), left_shoulder=(0.2, 0.48), right_shoulder=(0.2, 0.55),
              left_hip=(0.5, 0.49), right_hip=(0.5, 0.56), left_knee=(0.7, 0.5), right_knee=(0.7, 0.56))
    assert derive_posture(body(**kp)) == "lying down"


def test_posture_needs_evidence():
    # head and shoulders only (a close-up): no posture claimed
    kp = {k: v for k, v in STANDING.items() if k in {"nose", "left_shoulder", "right_shoulder"}}
    assert derive_posture(body(**kp)) is None
    # low-confidence legs do not count
    weak = {k: (v[0], v[1], 0.1) if "knee" in k or "ankle" in k else v for k, v in body(**STANDING).items()}
    assert derive_posture(weak) is None
    assert derive_posture({}) is None


@needs_node
def test_two_workers_measure_what_one_does(photos):
    names = ["astronaut.png", "chelsea.png", "coffee.png"]
    with HumanAnalyser(workers=2) as pair:
        assert len(pair._workers) == 2
        frames = analyse_frames([photo(n) for n in names], [0.0, 1.0, 2.0], [pair])
    for name, fa in zip(names, frames):  # each frame comes back in its place, measured as by one worker
        assert [(d.label, round(d.score, 4)) for d in fa.objects] == \
            [(d.label, round(d.score, 4)) for d in photos[name].objects], name
        assert len(fa.faces) == len(photos[name].faces) and len(fa.poses) == len(photos[name].poses), name
