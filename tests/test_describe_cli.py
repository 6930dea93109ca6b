"""``cinescribe describe`` on bad input: one-line errors, exit code 2, no partial output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PIXELS_ONLY = ["--no-objects", "--no-faces", "--no-poses", "--no-ocr", "--no-setting"]


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cinescribe", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0]


def assert_no_output(outdir: Path) -> None:
    assert not outdir.exists() or not any(outdir.iterdir())


def test_missing_file(tmp_path):
    out = tmp_path / "out"
    assert_one_line_error(run("describe", tmp_path / "nope.mp4", "-o", out), "no such file")
    assert_no_output(out)


def test_zero_byte_file(tmp_path):
    video = tmp_path / "empty.mp4"
    video.write_bytes(b"")
    out = tmp_path / "out"
    assert_one_line_error(run("describe", video, "-o", out), "empty")
    assert_no_output(out)


def test_not_a_video(tmp_path):
    video = tmp_path / "notes.mp4"
    video.write_text("these are my notes, not a film\n" * 50)
    out = tmp_path / "out"
    assert_one_line_error(run("describe", video, "-o", out), "not a readable media file")
    assert_no_output(out)


def test_folder_instead_of_file(tmp_path):
    assert_one_line_error(run("describe", tmp_path, "-o", tmp_path / "out"), "folder")


def test_truncated_video_head_only(tmp_path, speech_video):
    data = Path(speech_video.path).read_bytes()
    video = tmp_path / "cut.mp4"
    video.write_bytes(data[: len(data) // 50])
    out = tmp_path / "out"
    proc = run("describe", video, "-o", out)
    assert_one_line_error(proc)
    assert_no_output(out)


def test_audio_only_file(tmp_path, audio_only):
    out = tmp_path / "out"
    assert_one_line_error(run("describe", audio_only.path, "-o", out), "no video stream")
    assert_no_output(out)


def test_malformed_subtitles(tmp_path, speech_video):
    subs = tmp_path / "bad.srt"
    subs.write_text("1\n00:00:01,000 --> 00:00:xx,000\nHello\n")
    out = tmp_path / "out"
    assert_one_line_error(run("describe", speech_video.path, "-o", out, "--subtitles", subs), "bad.srt")
    assert_no_output(out)


def test_unwritable_output_dir(tmp_path, speech_video):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert_one_line_error(run("describe", speech_video.path, "-o", blocker / "out"), "output folder")


@pytest.mark.parametrize("args", [["--min-gap", "0"], ["--keyframes", "0"], ["--formats", "docx"], ["--vad", "nope"]])
def test_bad_options(tmp_path, speech_video, args):
    out = tmp_path / "out"
    assert_one_line_error(run("describe", speech_video.path, "-o", out, *args))
    assert_no_output(out)


@pytest.mark.slow
def test_video_without_audio_is_described_whole_with_a_warning(tmp_path, silent_video):
    out = tmp_path / "out"
    proc = run("describe", silent_video.path, "-o", out, "-q", *PIXELS_ONLY)
    assert proc.returncode == 0, proc.stderr
    assert "no audio" in proc.stderr
    doc = json.loads((out / "silent.ad.json").read_text())
    assert doc["timeline"]["dialogue"] == []
    slots = doc["descriptions"]
    assert slots[0]["start"] == 0.0 and slots[-1]["end"] == pytest.approx(doc["video"]["duration"], abs=0.05)
    assert any("no audio" in w for w in doc["warnings"])
    assert sorted(p.name for p in out.iterdir()) == ["silent.ad.json", "silent.ad.srt", "silent.ad.vtt"]
