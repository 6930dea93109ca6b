import subprocess

import pytest

from cinescribe.demo import make_test_video
from cinescribe.errors import MissingDependencyError
from cinescribe.media.audio import extract_audio
from cinescribe.media.frames import sample_frames
from cinescribe.media.probe import probe
from cinescribe.media.shots import ContentDetector, group_scenes
from cinescribe.media.vad import detect_speech

from test_schema import validator


@pytest.mark.slow
def test_demo_video(demo):
    info = probe(demo.path)
    assert 45 <= info.duration <= 60
    assert (info.width, info.height) == (640, 360)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert len(demo.speech) >= 6 and len(demo.cuts) >= 6
    gaps = [b.start - a.end for a, b in zip(demo.speech, demo.speech[1:])]
    assert any(g >= 3.0 for g in gaps) and any(g < 1.2 for g in gaps)
    assert all(iv.end <= demo.duration for iv in demo.speech)

    # the pipeline's media stages recover the ground truth
    found = detect_speech(extract_audio(demo.path), 16000)
    assert len(found) == len(demo.speech)
    assert all(abs(f.start - t.start) < 0.3 and abs(f.end - t.end) < 0.3 for f, t in zip(found, demo.speech))
    det = ContentDetector()
    for f in sample_frames(demo.path, 2.0, max_side=320):
        det.push(f)
    assert len(det.cuts()) == len(demo.cuts)
    assert all(0 <= c - t <= 0.5 for c, t in zip(det.cuts(), demo.cuts))
    scenes = group_scenes(det.shots(demo.duration), det.shot_features())
    assert (1, 2, 3) in [s.shot_indices for s in scenes]  # astronaut / coffee / astronaut


@pytest.mark.slow
def test_demo_title_card_is_bright_text(demo):
    f = next(iter(sample_frames(demo.path, 1.0, start=2.0, end=2.5)))
    img = f.image
    assert img.max() > 200 and img.mean() < 60  # white text on a dark card


def test_test_video_is_fast_and_exact(tmp_path):
    import time

    t0 = time.monotonic()
    info = make_test_video(tmp_path / "t.mp4", speech=[(0.3, "One two.")], shots=[("red", 1.0), ("coffee", 1.0)])
    assert time.monotonic() - t0 < 3.0
    assert info.cuts == [1.0] and len(info.speech) == 1 and info.speech[0].start == pytest.approx(0.3)
    assert probe(info.path).duration == pytest.approx(2.0, abs=0.1)


def test_test_video_is_deterministic(tmp_path):
    a = make_test_video(tmp_path / "a.mp4", speech=[(0.2, "Same.")], shots=[("green", 1.0)])
    b = make_test_video(tmp_path / "b.mp4", speech=[(0.2, "Same.")], shots=[("green", 1.0)])
    assert a.speech == b.speech
    assert (extract_audio(a.path) == extract_audio(b.path)).all()


def test_missing_tools_are_named(monkeypatch, tmp_path):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="apt-get install ffmpeg espeak-ng"):
        make_test_video(tmp_path / "x.mp4")


@pytest.mark.slow
def test_demo_command_writes_every_output(tmp_path):
    """`cinescribe demo` (what `make demo` runs): the script, its subtitles, the voice, the mix, the described video."""
    import json
    import sys

    import av

    out = tmp_path / "demo-out"
    proc = subprocess.run([sys.executable, "-m", "cinescribe", "demo", "-o", str(out), "-q"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert {"demo.mp4", "demo.ad.json", "demo.ad.vtt", "demo.ad.srt", "demo.ad.ttml", "demo.ad.wav",
            "demo.ad.mix.wav", "demo.described.mp4", "demo.ad.export.json"} <= names
    doc = json.loads((out / "demo.ad.json").read_text())
    validator().validate(doc)  # the published JSON Schema
    spoken = [d for d in doc["descriptions"] if d["text"]]
    assert len(spoken) >= 5
    assert any('"cinescribe demo"' in d["text"] for d in spoken), [d["text"] for d in spoken]  # the title card, by OCR
    assert {"cup", "motorcycle"} <= {f["value"] for d in spoken for f in d["facts"] if f["kind"] == "object"}
    with av.open(str(out / "demo.described.mp4")) as container:
        assert len(container.streams.video) == 1 and len(container.streams.audio) == 2
