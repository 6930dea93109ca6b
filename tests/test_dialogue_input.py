"""Bad dialogue input: an undecodable audio track, a language the model does not know, legacy-encoded
subtitles -- one-line errors or warnings, nothing half-written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from cinescribe.media.audio import UndecodableAudio, extract_audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is needed")
FAST = ["--no-objects", "--no-faces", "--no-poses", "--no-ocr", "-q"]


def cinescribe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cinescribe", *args], capture_output=True, text=True)


def corrupt_audio_video(tmp_path):
    """A video whose AAC frames after the first three hold random bytes (headers intact)."""
    aac, video = tmp_path / "a.aac", tmp_path / "noisy.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=4", "-c:a", "aac", str(aac)],
                   check=True)
    data, rng, i, n = bytearray(aac.read_bytes()), np.random.default_rng(0), 0, 0
    while i + 7 < len(data):
        length = ((data[i + 3] & 3) << 11) | (data[i + 4] << 3) | (data[i + 5] >> 5)
        if n >= 3:
            data[i + 7:i + length] = rng.integers(0, 256, length - 7, dtype=np.uint8).tobytes()
        i, n = i + length, n + 1
    aac.write_bytes(bytes(data))
    subprocess.run(["ffmpeg", "-v", "quiet", "-y", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=4", "-i", str(aac),
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "copy", "-shortest", str(video)], check=True)
    return video


@pytest.mark.slow
def test_undecodable_audio_is_one_warning(tmp_path):
    video = corrupt_audio_video(tmp_path)
    with pytest.raises(UndecodableAudio, match="audio track cannot be decoded"):
        extract_audio(video)
    done = cinescribe("describe", str(video), "-o", str(tmp_path / "out"), *FAST)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning:") and "cannot be decoded" in lines[0]
    doc = json.loads((tmp_path / "out" / "noisy.ad.json").read_text())
    assert doc["timeline"]["dialogue"] == [] and any("cannot be decoded" in w for w in doc["warnings"])


@pytest.mark.slow
def test_unknown_language_is_refused_before_any_output(tmp_media, tmp_path):
    info = tmp_media("lang.mp4", speech=[(0.3, "Hello there.")], duration=2.0)
    for args, message in ((["--asr-model", "tiny.en", "--asr-language", "fr"], "not a language the Whisper tiny.en"),
                          (["--asr-language", "klingon"], "not a language the Whisper base"),
                          (["--no-asr", "--asr-language", "en"], "needs speech recognition")):
        done = cinescribe("describe", str(info.path), "-o", str(tmp_path / "out"), *args, *FAST)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
        assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_legacy_subtitles_warn_and_replace_the_recognised_ones(tmp_media, tmp_path):
    info = tmp_media("subs.mp4", speech=[(0.3, "Where is the café?")], duration=3.0)
    subs = tmp_path / "subs.srt"
    subs.write_bytes("1\n00:00:00,300 --> 00:00:01,800\nWhere is the café?\n".encode("cp1252"))
    done = cinescribe("describe", str(info.path), "-s", str(subs), "-o", str(tmp_path / "out"), "--asr-model",
                      "tiny.en", *FAST)
    assert done.returncode == 0, done.stderr
    assert "not UTF-8" in done.stderr and "cp1252" in done.stderr
    out = tmp_path / "out"
    assert not (out / "subs.subtitles.srt").exists()  # subtitles were given: none written from speech
    doc = json.loads((out / "subs.ad.json").read_text())
    assert doc["timeline"]["subtitle_cues"] == 1 and doc["transcript"]["language"] == "en"
