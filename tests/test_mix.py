"""Ducking, the AD-only and mixed tracks, the described video, and `export`'s handling of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from cinescribe.describe.facts import Fact
from cinescribe.describe.planner import plan_slots
from cinescribe.describe.script import ADScript, AudioDescription
from cinescribe.errors import InputError
from cinescribe.export.mix import (ADTrack, Duck, MixConfig, duck_depth, duck_gain, duck_spans,
                                   leave_room_for_ramps, render)
from cinescribe.export.pipeline import ExportConfig, export_script, parse_formats
from cinescribe.export.tts import Spoken
from cinescribe.media.fingerprint import fingerprint
from cinescribe.timeline import Interval

TEXTS = ["A woman smiles.", "A cup of coffee.", "A cat sits, in close-up, with a very long tail in view."]


def make_script(info, path: Path) -> Path:
    """The AD-script JSON ``describe`` would write for the generated video ``info``."""
    slots = plan_slots(info.duration, info.speech)
    cat = Fact("object", "object:cat", "cat", ("cat",), 0.9)
    script = ADScript(
        video={"path": str(info.path), "fingerprint": fingerprint(info.path), "duration": info.duration,
               "width": info.size[0], "height": info.size[1], "fps": info.fps, "has_audio": info.has_audio},
        descriptions=[AudioDescription(s, t, [cat], [cat], []) for s, t in zip(slots, TEXTS)],
        dialogue=list(info.speech), speech=list(info.speech), subtitles=0, shots=[], scenes=[],
        models={}, config={"planner": {"words_per_second": 2.5}}, software={"cinescribe": "test"},
    )
    path.write_text(json.dumps(script.to_dict(), indent=2))
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32767
        return data.reshape(-1, w.getnchannels()), w.getframerate()


def ffprobe(path: Path) -> list[dict]:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["streams"]


def test_duck_depth_is_a_raised_cosine():
    duck = Duck(2.0, 4.0, 0.5, 0.5)
    t = np.array([1.0, 1.5, 1.75, 2.0, 3.0, 4.0, 4.25, 4.5, 5.0])
    assert np.allclose(duck_depth(t, duck), [0, 0, 0.5, 1, 1, 1, 0.5, 0, 0])
    fine = np.linspace(1.0, 5.0, 40001)
    gain_db = 20 * np.log10(duck_gain(fine, [duck], -12.0))
    assert gain_db.min() == pytest.approx(-12.0) and gain_db.max() == pytest.approx(0.0)
    assert np.abs(np.diff(gain_db)).max() < 0.01  # smooth: no step anywhere
    assert np.all(np.diff(gain_db[(fine >= 1.5) & (fine <= 2.0)]) <= 1e-12)  # monotonic down


def test_overlapping_ducks_take_the_deeper_gain():
    ducks = [Duck(1.0, 2.0, 0.3, 0.3), Duck(2.2, 3.0, 0.3, 0.3)]
    t = np.linspace(0.5, 3.5, 3001)
    g = duck_gain(t, ducks, -10.0)
    assert 20 * np.log10(g[(t > 2.0) & (t < 2.2)]).max() <= -10 + 1e-9 + 10 * 0.5  # never back above half depth


def test_ramps_stay_out_of_dialogue_and_voice_waits_for_ramp():
    dialogue = [Interval(0.0, 2.0), Interval(5.0, 6.0)]
    ducks = duck_spans([Interval(2.1, 4.9)], dialogue, 0.3)
    assert ducks == [Duck(2.1, 4.9, pytest.approx(0.1), pytest.approx(0.1))]
    s = Spoken(0, 2.1, 2.8, "x", "x", "fits", 1.0, 1000, np.ones(1000, dtype=np.float32))
    leave_room_for_ramps([s], dialogue, 0.3)
    assert s.start == pytest.approx(2.3) and s.end <= 2.1 + 2.8


def test_ad_track_blocks_add_up():
    clips = [Spoken(0, 0.5, 1, "a", "a", "fits", 1.0, 100, np.ones(30, dtype=np.float32)),
             Spoken(1, 0.7, 1, "b", "b", "fits", 1.0, 100, np.ones(30, dtype=np.float32))]
    track = ADTrack(clips, 100)
    whole = track.block(0, 200)
    assert np.array_equal(np.concatenate([track.block(i, 7) for i in range(0, 200, 7)])[:200], whole)
    assert whole[:50].sum() == 0 and whole[70:80].tolist() == [2.0] * 10 and whole[100:].sum() == 0


def test_mix_config_is_checked():
    with pytest.raises(InputError, match="duck-db"):
        MixConfig(duck_db=6).validate()
    with pytest.raises(InputError, match="pan"):
        MixConfig(pan=2).validate()


def test_render_ducks_programme_and_adds_voice(speech_video, tmp_path):
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(int(1.2 * 22050)) / 22050).astype(np.float32)
    spoken = [Spoken(0, 2.6, 1.5, "x", "x", "fits", 1.0, 22050, tone)]
    ad_path, mix_path = tmp_path / "ad.wav", tmp_path / "mix.wav"
    report = render(spoken, speech_video.speech, speech_video.duration, video=speech_video.path,
                    ad_path=ad_path, mix_path=mix_path, cfg=MixConfig(duck_db=-12.0, ramp=0.3))
    ad, rate = read_wav(ad_path)
    mix, _ = read_wav(mix_path)
    assert rate == 48000 and ad.shape == (480000, 1) and mix.shape == (480000, 2)
    assert report.duration_s == pytest.approx(10.0) and report.ducked_s == pytest.approx(1.2, abs=0.01)
    assert np.abs(ad[: int(2.6 * rate)]).max() == 0 and np.abs(ad[int(3.8 * rate) + 10:]).max() == 0
    quiet, _ = read_wav(_render_plain(speech_video, tmp_path))
    during = slice(int(2.8 * rate), int(3.6 * rate))
    residual = mix[during] - ad[during] * np.cos(np.pi / 4)  # the programme part of the mix under the AD
    ratio = np.sqrt((residual ** 2).mean() / (quiet[during] ** 2).mean())
    assert 20 * np.log10(ratio) == pytest.approx(-12.0, abs=0.5)
    outside = slice(int(6.0 * rate), int(9.0 * rate))
    assert np.allclose(mix[outside], quiet[outside], atol=2 / 32767)  # untouched away from the AD


def _render_plain(info, tmp_path: Path) -> Path:
    out = tmp_path / "plain.wav"
    render([], info.speech, info.duration, video=info.path, mix_path=out)
    return out


def test_export_all_formats(speech_video, tmp_path):
    source = make_script(speech_video, tmp_path / "speech.ad.json")
    cfg = ExportConfig(voice="espeak")
    paths = export_script(source, video=speech_video.path, formats=parse_formats("vtt,srt,ttml,wav,mix,mp4"), cfg=cfg)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        "speech.ad.json", "speech.ad.vtt", "speech.ad.srt", "speech.ad.ttml", "speech.ad.wav", "speech.ad.mix.wav",
        "speech.described.mp4", "speech.ad.export.json"])
    report = json.loads(paths["report"].read_text())
    assert report["voice"].startswith("espeak-ng")
    assert {s["index"]: s["status"] for s in report["speech"]}[2] in ("shortened", "skipped")
    slots = {d["index"]: d for d in json.loads(source.read_text())["descriptions"]}
    for s in report["speech"]:  # no speech before or past its slot, or into dialogue
        assert slots[s["index"]]["start"] <= s["start"] and s["end"] <= slots[s["index"]]["end"] - 0.05 + 1e-3
        assert not any(s["start"] < iv.end and iv.start < s["end"] for iv in speech_video.speech)
    streams = ffprobe(paths["mp4"])
    original = ffprobe(speech_video.path)
    assert [s["codec_type"] for s in streams] == ["video", "audio", "audio"]
    video_in, video_out = original[0] if original[0]["codec_type"] == "video" else original[1], streams[0]
    assert (video_out["codec_name"], video_out["nb_frames"], video_out["bit_rate"]) == (
        video_in["codec_name"], video_in["nb_frames"], video_in["bit_rate"])  # copied, not re-encoded
    ad = streams[2]
    assert ad["tags"]["language"] == "eng" and ad["tags"]["handler_name"] == "Audio description"
    assert ad["disposition"]["visual_impaired"] == 1 and ad["disposition"]["descriptions"] == 1
    assert streams[1]["disposition"]["default"] == 1 and ad["disposition"]["default"] == 0
    assert float(ad["duration"]) == pytest.approx(speech_video.duration, abs=0.1)


def test_video_without_audio_gets_the_ad_track_only(silent_video, tmp_path):
    info = type(silent_video)(**{**silent_video.__dict__, "speech": []})
    source = make_script(info, tmp_path / "silent.ad.json")
    paths = export_script(source, formats=("wav", "mkv"), cfg=ExportConfig(voice="espeak"))
    streams = ffprobe(paths["mkv"])
    assert [s["codec_type"] for s in streams] == ["video", "audio"]
    assert streams[1]["tags"]["title"] == "Audio description" and streams[1]["disposition"]["visual_impaired"] == 1
    ad, rate = read_wav(paths["wav"])
    assert len(ad) == int(round(silent_video.duration * rate)) and np.abs(ad).max() > 0.05


def test_bad_input_writes_nothing(speech_video, silent_video, tmp_path):
    source = make_script(speech_video, tmp_path / "speech.ad.json")
    (tmp_path / "speech.ad.vtt").write_text("previous")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    cfg = ExportConfig(voice="espeak")
    with pytest.raises(InputError, match="no such file"):
        export_script(source, video=tmp_path / "missing.mp4", formats=("vtt", "mix"), cfg=cfg)
    with pytest.raises(InputError, match="not the video this AD script was made from"):
        export_script(source, video=silent_video.path, formats=("vtt", "mix"), cfg=cfg)
    broken = tmp_path / "broken.ad.json"
    broken.write_text(source.read_text()[:-40])
    with pytest.raises(InputError, match="corrupted JSON"):
        export_script(broken, formats=("vtt",), cfg=cfg)
    with pytest.raises(InputError, match="unknown export format"):
        parse_formats("vtt,gif")
    other = tmp_path / "other.ad.json"
    other.write_text(json.dumps({"schema": "something/else"}))
    with pytest.raises(InputError, match="not a cinescribe AD script"):
        export_script(other, formats=("vtt",), cfg=cfg)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name not in ("broken.ad.json", "other.ad.json")}
    assert after == before


def test_cli_reports_one_line_and_exit_2(speech_video, tmp_path):
    source = make_script(speech_video, tmp_path / "speech.ad.json")
    done = subprocess.run([sys.executable, "-m", "cinescribe", "export", str(source), "--video",
                           str(tmp_path / "nope.mp4"), "--formats", "vtt,mp4"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("error: ") and "nope.mp4" in done.stderr
