import numpy as np
import pytest

from cinescribe.errors import InputError
from cinescribe.media.frames import Frame, sample_frames
from cinescribe.media.shots import (ContentDetector, Shot, ThresholdDetector, group_scenes,
                                    make_detector, signature_distance)

FPS = 2.0


def _run(path, *detectors):
    for f in sample_frames(path, FPS, max_side=320):
        for d in detectors:
            d.push(f)
    return detectors


def test_cuts_found_within_one_sample(speech_video):
    (det,) = _run(speech_video.path, make_detector("content"))
    cuts = det.cuts()
    assert len(cuts) == len(speech_video.cuts)
    for got, true in zip(cuts, speech_video.cuts):
        assert true <= got + 1e-6 and got - true <= 1 / FPS + 1e-6
    shots = det.shots(speech_video.duration)
    assert [s.index for s in shots] == [0, 1, 2, 3]
    assert shots[0].start == 0 and shots[-1].end == speech_video.duration


def test_fades_are_not_a_cut_storm(fade_video):
    content, threshold = _run(fade_video.path, ContentDetector(), ThresholdDetector())
    assert content.cuts() == []  # same picture before and after the black
    assert len(threshold.cuts()) == 1  # the fade detector marks the dip to black
    assert 2.5 <= threshold.cuts()[0] <= 5.0


def test_fade_through_black_to_new_picture_is_one_cut():
    def frame(i, colour, level):
        img = np.zeros((36, 64, 3), np.uint8)
        img[:] = (np.array(colour) * level).astype(np.uint8)
        img[::4] = (np.array(colour) * level * 0.5).astype(np.uint8)  # some texture
        return Frame(i, i / FPS, img)

    red, blue = (220, 40, 30), (30, 60, 220)
    levels = [1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0, 0, 0.2, 0.4, 0.6, 0.8, 1, 1, 1]
    det = ContentDetector()
    for i, lv in enumerate(levels):
        det.push(frame(i, red if i < 8 else blue, lv))
    assert len(det.cuts()) == 1 and 3.0 <= det.cuts()[0] <= 5.0


def test_scene_grouping_abab(speech_video):
    (det,) = _run(speech_video.path, ContentDetector())
    scenes = group_scenes(det.shots(speech_video.duration), det.shot_features())
    # astronaut / coffee / astronaut join; the cat is a new scene
    assert [s.shot_indices for s in scenes] == [(0, 1, 2), (3,)]
    assert scenes[0].start == 0 and scenes[1].end == speech_video.duration


def test_group_scenes_rule():
    a, b, c = np.eye(3, 36, dtype=np.float32), None, None
    fa, fb, fc = a[0], a[1], a[2]
    shots = [Shot(i, i, i + 1) for i in range(5)]
    scenes = group_scenes(shots, [fa, fb, fc, fb, fa])
    assert [s.shot_indices for s in scenes] == [(0,), (1, 2, 3), (4,)]
    assert signature_distance(fa, fa) == 0 and signature_distance(fa, fb) > 0
    with pytest.raises(ValueError):
        group_scenes(shots, [fa])


def test_unknown_detector():
    with pytest.raises(InputError, match="unknown shot detector"):
        make_detector("nope")
