"""One decode pass for several consumers, and the frame spool."""

import os

import numpy as np
import pytest

from cinescribe.errors import InputError
from cinescribe.media.framepass import FramePass, FrameSpool, Tap
from cinescribe.media.frames import Frame, sample_frames


def test_each_tap_gets_what_a_stream_of_its_own_would(speech_video):
    taps = [Tap(fps=None, size=(48, 27)), Tap(fps=4.0, max_side=320), Tap(fps=2.0, max_side=160, keep=lambda t: 3 <= t <= 5),
            Tap(fps=None, size=(48, 27), every=2)]
    got: list[list[Frame]] = [[], [], [], []]
    with FramePass(speech_video.path, taps) as stream:
        for i, frame in stream:
            got[i].append(frame)
        decoded = stream.decoded
    assert decoded == round(speech_video.duration * speech_video.fps)  # every frame decoded once
    every, four, two, second = got
    assert len(every) == decoded and every[0].image.shape == (27, 48, 3)
    assert [f.t for f in second] == [f.t for f in every[::2]]
    assert np.all(np.diff([f.t for f in every]) > 0)
    alone = list(sample_frames(speech_video.path, 4.0, max_side=320))
    assert [(f.index, f.t) for f in four] == [(f.index, f.t) for f in alone]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(four, alone))
    assert [f.t for f in two] == [f.t for f in sample_frames(speech_video.path, 2.0, max_side=160) if 3 <= f.t <= 5]
    assert two[0].image.shape[1] == 160


def test_bad_tap_rate(speech_video):
    with pytest.raises(InputError, match="positive"):
        FramePass(speech_video.path, [Tap(fps=-1.0)])
    with pytest.raises(InputError, match="n >= 1"):
        FramePass(speech_video.path, [Tap(every=0)])


def test_spool_reads_back_its_frames_and_deletes_its_file(speech_video):
    frames = list(sample_frames(speech_video.path, 2.0, max_side=320))
    with FrameSpool() as spool:
        for f in frames:
            spool.add(f)
        path = spool.path
        assert os.path.getsize(path) > 0 and len(spool) == len(frames)
        back = spool.frames(3.0, 5.0)
        want = [f for f in frames if 3.0 <= f.t <= 5.0]
        assert [(f.index, f.t) for f in back] == [(f.index, f.t) for f in want]
        for a, b in zip(back, want):
            assert a.image.shape == b.image.shape
            assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() < 2.5  # JPEG at quality 95
    assert not os.path.exists(path)


def test_spool_file_is_removed_even_without_close(speech_video):
    spool = FrameSpool()
    spool.add(Frame(0, 0.0, np.zeros((8, 8, 3), np.uint8)))
    path = spool.path
    del spool
    assert not os.path.exists(path)
