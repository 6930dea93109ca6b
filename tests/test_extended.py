"""Extended AD: pauses planned where a scene opens under dialogue; the held video stays in sync."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from cinescribe.atomic import write_json
from cinescribe.describe.extended import essential, first_appearances, plan_extended, plan_pauses, uncovered_openings
from cinescribe.describe.planner import Slot
from cinescribe.describe.pipeline import DescribeConfig, describe_video
from cinescribe.errors import InputError
from cinescribe.export.extended import hold_frames, pauses_of, shift
from cinescribe.describe.document import load_script
from cinescribe.export.pipeline import export_script
from conftest import describe_files
from cinescribe.media.audio import extract_audio
from cinescribe.timeline import Interval

SCENES = [Interval(0.0, 4.0), Interval(4.0, 9.0)]


def test_pause_planned_where_a_scene_opens_under_dialogue():
    slots = [Slot(0, 0.0, 2.4, 6)]
    dialogue = [Interval(2.5, 7.5)]
    words = [Interval(3.5, 3.9), Interval(3.9, 4.3), Interval(4.3, 4.6), Interval(4.9, 5.2)]
    (pause,) = plan_extended(SCENES, slots, dialogue, words, 9.0, 2.5)
    assert pause.pause_at == pytest.approx(4.6)  # after the first word followed by a pause, not mid-word
    assert pause.pause_s == pytest.approx(6 / 2.5 + 0.5)
    assert pause.slot.index == 1 and pause.slot.start == pause.pause_at
    assert (pause.picture.start, pause.picture.end) == (4.0, 6.0)
    # a slot starting soon after the opening covers it: no pause
    assert plan_extended(SCENES, slots + [Slot(1, 4.5, 6.0, 3)], dialogue, words, 9.0, 2.5) == []
    # a scene opening in silence that the planner left too short a gap for: pause at the opening
    (quiet,) = plan_extended(SCENES, slots, [Interval(2.5, 3.9), Interval(4.8, 7.5)], [], 9.0, 2.5)
    assert quiet.pause_at == 4.0


def _flash_and_beep(path: Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=6", "-f", "lavfi",
                    "-i", "sine=f=1000:r=48000:d=6", "-filter_complex",
                    "[0:v]drawbox=x=0:y=0:w=160:h=90:color=white:t=fill:enable='between(t,3,3.19)'[v];"
                    "[1:a]volume=volume=0:enable='not(between(t,3,3.2))'[a]",
                    "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)],
                   check=True)


def _measure(path: Path):
    frames = []
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            frames.append((f.time, f.to_ndarray(format="gray")))
    flash = next(t for t, a in frames if a.mean() > 240)
    audio = extract_audio(path, 16000)
    beep = np.flatnonzero(np.abs(audio) > 0.1)[0] / 16000
    return flash, beep, frames


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is needed")
def test_held_video_stays_in_sync_after_the_pause(tmp_path):
    src, out = tmp_path / "in.mp4", tmp_path / "held.mp4"
    _flash_and_beep(src)
    flash0, beep0, _ = _measure(src)
    assert flash0 == pytest.approx(3.0) and beep0 == pytest.approx(3.0, abs=0.03)
    hold_frames(src, [(1.0, 2.0)], out, has_audio=True)
    flash, beep, frames = _measure(out)
    assert flash == pytest.approx(flash0 + 2.0, abs=1 / 25)  # the picture is late by the pause...
    assert beep - flash == pytest.approx(beep0 - flash0, abs=0.02)  # ...and so is the sound: in sync
    held = [a.astype(int) for t, a in frames if 0.96 <= t < 2.96]
    assert len(held) == 50 and max(np.abs(h - held[0]).mean() for h in held) < 1.0  # the frame is held
    moving = [a.astype(int) for t, a in frames if 3.0 <= t < 3.5]
    assert np.abs(moving[-1] - moving[0]).mean() > 1.0  # and moves again after the pause
    audio = extract_audio(out, 16000)
    assert np.abs(audio[int(1.05 * 16000):int(2.95 * 16000)]).max() < 0.01  # silent during the pause


def test_timeline_moves_by_the_pauses_before():
    pauses = [(2.0, 1.0), (5.0, 0.5)]
    assert shift(1.0, pauses) == 1.0 and shift(2.0, pauses) == 3.0 and shift(6.0, pauses) == 7.5


@pytest.fixture(scope="module")
def described(tmp_media, tmp_path_factory):
    info = tmp_media("extended.mp4", speech=[(2.6, "We have to leave before the guards come back."),
                                             (4.9, "Take the map and the lamp, and go.")],
                     shots=[("astronaut", 4.0), ("coffee", 5.0)], duration=9.0)
    base = dict(objects=False, faces=False, poses=False, ocr=False, asr="tiny.en")
    plain_dir, ext_dir = tmp_path_factory.mktemp("plain"), tmp_path_factory.mktemp("ext")
    plain, _ = describe_files(info.path, plain_dir, cfg=DescribeConfig(**base), analysers=[])
    ext, paths = describe_files(info.path, ext_dir, cfg=DescribeConfig(**base, extended=True), analysers=[])
    return info, plain, ext, paths


@pytest.mark.slow
def test_describe_extended_marks_the_pause_and_leaves_the_rest(described):
    info, plain, ext, paths = described
    marked = [d for d in ext.descriptions if d.extended]
    assert len(marked) == 1 and not any(d.extended for d in plain.descriptions)
    d = marked[0]
    assert 4.0 <= d.pause_at <= 6.0 and d.pause_s > 0 and any(iv.start <= d.pause_at <= iv.end for iv in ext.dialogue)
    assert [x.to_dict() for x in ext.descriptions if not x.extended] == [x.to_dict() for x in plain.descriptions]
    doc = json.loads(paths["json"].read_text())
    (entry,) = [x for x in doc["descriptions"] if x.get("extended")]
    assert entry["pause_at"] == d.pause_at and entry["pause_s"] == d.pause_s
    assert "extended" not in json.dumps([x for x in doc["descriptions"] if not x.get("extended")])


@pytest.mark.slow
def test_export_extended_video_and_marked_cues(described, tmp_path):
    info, plain, ext, paths = described
    doc = json.loads(paths["json"].read_text())
    for entry in doc["descriptions"]:  # pixels only measure too little for a sentence: a describer writes it
        if entry.get("extended"):
            entry["text"] = "A cup of coffee."
    source = write_json(tmp_path / "extended.ad.json", doc)
    out = export_script(source, video=info.path, outdir=tmp_path, formats=("vtt", "ttml", "extended", "mp4"))
    (d,) = [x for x in load_script(source).descriptions if x.extended]
    (at, seconds), = pauses_of(load_script(source), 25)
    with av.open(str(out["extended"])) as c:
        streams = [(s.type, float(s.duration * s.time_base)) for s in c.streams]
    assert [t for t, _ in streams] == ["video", "audio", "audio"]
    assert streams[0][1] == pytest.approx(info.duration + seconds, abs=0.05)
    with av.open(str(out["mp4"])) as c:
        assert float(c.streams.video[0].duration * c.streams.video[0].time_base) == pytest.approx(info.duration, abs=0.05)
    vtt = out["vtt"].read_text()
    assert f"NOTE extended AD ad-{d.slot.index}: pause the video at" in vtt
    assert f'cs:pauseAt="{d.pause_at:g}"' in out["ttml"].read_text()
    report = json.loads(out["report"].read_text())
    assert report["extended"]["pauses"] == [{"at": at, "seconds": seconds}]
    assert not [p for p in report["problems"] if p["index"] == d.slot.index]  # over paused dialogue: no problem
    # the extended AD is voiced inside its pause on the longer timeline
    (voiced,) = [s for s in report["extended"]["speech"] if s["index"] == d.slot.index]
    assert voiced["status"] != "skipped" and at - 0.01 <= voiced["start"] < voiced["end"] <= at + seconds + 0.01
    # and never in the plain described video, which cannot pause
    assert d.slot.index not in [s["index"] for s in report["speech"]]


@pytest.mark.slow
def test_extended_export_without_pauses_is_refused(described, tmp_path):
    info, plain, ext, paths = described
    source = write_json(tmp_path / "plain.ad.json", plain.to_dict())
    with pytest.raises(InputError, match="no extended ADs"):
        export_script(source, video=info.path, outdir=tmp_path, formats=("extended",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.ad.json"]  # nothing written


def test_only_openings_with_a_reason_get_a_pause():
    shots = [Interval(0.0, 3.0), Interval(3.0, 6.0), Interval(6.0, 9.0)]
    scenes = [Interval(0.0, 9.0)]  # one scene: A/B/A
    slots = [Slot(0, 0.0, 2.0, 5)]
    dialogue = [Interval(2.0, 8.7)]
    words = [Interval(2.0 + 0.45 * i, 2.3 + 0.45 * i) for i in range(15)]
    moments = uncovered_openings(shots, scenes, slots, 9.0)
    assert [(m.t, m.reasons) for m in moments] == [(3.0, ()), (6.0, ())]  # 0.0 is covered by the slot
    assert moments[0].picture == Interval(3.0, 5.0)
    assert plan_pauses(moments, slots, dialogue, words, 9.0, 2.5) == []  # nothing essential: no pause
    kept = [essential(moments[0], ["THE HARBOUR"], []), essential(moments[1], [], ["c2"])]
    assert [m.reasons for m in kept] == [("text",), ("character:c2",)]
    text, face = plan_pauses(kept, slots, dialogue, words, 9.0, 2.5, labels={"c2": "a woman"})
    assert text.pause_at == pytest.approx(3.2) and text.pause_for == ("text",)  # after the word ending at 3.2
    assert face.pause_at == pytest.approx(6.35) and face.pause_for == ("character:c2",)
    assert (text.slot.index, face.slot.index) == (1, 2)
    assert face.reason == "c2 (a woman) is first seen with no gap for its AD"
    # two reasons at one opening are one pause
    (both,) = plan_pauses([kept[0].with_reasons("character:c1")], slots, dialogue, words, 9.0, 2.5)
    assert both.pause_for == ("text", "character:c1")


def test_first_appearance_is_the_earliest_sighting():
    assert first_appearances([("c1", 4.0), ("c2", 3.5), ("c1", 2.5)]) == {"c1": 2.5, "c2": 3.5}


class Recorder:
    """A perception stand-in that records the times of the frames it sees."""

    name, model_id = "recorder", "recorder/1"

    def __init__(self) -> None:
        self.times: list[float] = []

    def analyse(self, images, out) -> None:
        self.times += [fa.t for fa in out]

    def close(self) -> None:
        pass


TITLE_SPEECH = [(2.0, "We have to leave before the guards come back, so take the map and the lamp and go now.")]
TITLE_SHOTS = [("coffee", 3.0), ("title:THE HARBOUR", 3.0), ("coffee", 4.0)]


@pytest.fixture(scope="module")
def title_video(tmp_media):
    return tmp_media("title-under-speech.mp4", speech=TITLE_SPEECH, shots=TITLE_SHOTS, duration=10.0)


@pytest.mark.slow
def test_without_extended_no_frame_under_dialogue_is_measured(title_video):
    base = dict(objects=False, faces=False, poses=False, ocr=False, setting=False, asr="tiny.en")
    plain, ext = Recorder(), Recorder()
    script = describe_video(title_video.path, cfg=DescribeConfig(**base), analysers=[plain])
    describe_video(title_video.path, cfg=DescribeConfig(**base, extended=True), analysers=[ext])
    inside = [t for t in plain.times if any(iv.start < t < iv.end for iv in script.dialogue)]
    assert plain.times and not inside
    assert any(3.0 <= t <= 5.0 for t in ext.times)  # the title card's opening, measured for --extended


@pytest.mark.slow
def test_on_screen_text_under_speech_gets_a_pause(title_video):
    cfg = dict(objects=False, faces=False, poses=False, ocr=True, setting=False, asr="tiny.en")
    plain = describe_video(title_video.path, cfg=DescribeConfig(**cfg))
    ext = describe_video(title_video.path, cfg=DescribeConfig(**cfg, extended=True))
    assert len(ext.scenes) == 1  # coffee / title / coffee: one scene, so no scene opening under the speech
    (d,) = [d for d in ext.descriptions if d.extended]
    assert d.pause_for == ["text"] and "on-screen text appears" in d.reason
    assert 3.0 <= d.pause_at <= 5.0 and any(iv.start <= d.pause_at <= iv.end for iv in ext.dialogue)
    assert "HARBOUR" in d.text.upper()
    assert [x.to_dict() for x in ext.descriptions if not x.extended] == [x.to_dict() for x in plain.descriptions]
    (entry,) = [x for x in json.loads(json.dumps(ext.to_dict()))["descriptions"] if x.get("extended")]
    assert entry["pause_for"] == ["text"] and entry["index"] == d.slot.index


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the face model")
def test_a_face_first_seen_under_speech_gets_a_pause(tmp_media):
    video = tmp_media("face-under-speech.mp4", speech=TITLE_SPEECH,
                      shots=[("coffee", 3.0), ("astronaut", 3.0), ("coffee", 4.0)], duration=10.0)
    cfg = dict(objects=False, faces=True, poses=False, ocr=False, setting=False, asr="tiny.en")
    plain = describe_video(video.path, cfg=DescribeConfig(**cfg))
    ext = describe_video(video.path, cfg=DescribeConfig(**cfg, extended=True))
    assert plain.characters == []  # her face is never seen in a gap in the dialogue
    (c1,) = [c for c in ext.characters]
    assert 3.0 <= c1["appearances"][0]["start"] < 5.0
    (d,) = [d for d in ext.descriptions if d.extended]
    assert d.pause_for == ["character:c1"] and "c1" in d.reason and "first seen" in d.reason
    assert 3.0 <= d.pause_at <= 5.0 and d.characters == ["c1"]
    assert [x.to_dict() for x in ext.descriptions if not x.extended] == [x.to_dict() for x in plain.descriptions]
