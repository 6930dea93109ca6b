import logging

import pytest

from cinescribe.errors import InputError
from cinescribe.media.probe import probe


def test_probe_video(speech_video):
    info = probe(speech_video.path)
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == (320, 180)
    assert info.fps == pytest.approx(25)
    assert info.duration == pytest.approx(10.0, abs=0.1)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert info.audio_rate == 44100 and info.audio_channels == 1
    assert info.frame_count == pytest.approx(250, abs=2)
    assert info.rotation == 0 and not info.truncated
    assert sorted(s.type for s in info.streams) == ["audio", "video"]


def test_probe_rotation(rotated_video):
    info = probe(rotated_video)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (180, 320)


def test_probe_video_without_audio(silent_video):
    info = probe(silent_video.path)
    assert info.has_video and not info.has_audio and info.audio_rate == 0


def _file(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.mp4", "no such file"),
        (lambda d: d, "is a folder"),
        (lambda d: _file(d / "empty.mp4", b""), "empty"),
        (lambda d: _file(d / "text.mp4", b"just some text\n" * 50), "not a readable media file"),
    ],
)
def test_probe_bad_paths(tmp_path, make, message):
    with pytest.raises(InputError, match=message) as exc:
        probe(make(tmp_path))
    assert "\n" not in str(exc.value)


def test_probe_audio_only(audio_only):
    with pytest.raises(InputError, match="has no video stream"):
        probe(audio_only.path)


def _cut(src, dst, fraction):
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def test_probe_truncated_at_start_errors(speech_video, tmp_path):
    # moov (index) survives at the front, almost no frame data
    bad = _cut(speech_video.path, tmp_path / "head.mp4", 0.01)
    with pytest.raises(InputError, match="cannot be decoded"):
        probe(bad)


def test_probe_truncated_midway_warns(speech_video, tmp_path, caplog):
    bad = _cut(speech_video.path, tmp_path / "half.mp4", 0.5)
    with caplog.at_level(logging.WARNING, logger="cinescribe"):
        info = probe(bad)
    assert info.truncated
    assert 1.0 < info.duration < 9.0 and info.decodable_duration == info.duration
    assert info.warnings and "truncated" in info.warnings[0]
    assert any("truncated" in r.message for r in caplog.records)


def test_probe_truncated_without_index_errors(speech_video, tmp_path):
    import subprocess

    moov_last = tmp_path / "moovlast.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(speech_video.path), "-c", "copy",
                    str(moov_last)], check=True)
    bad = _cut(moov_last, tmp_path / "noindex.mp4", 0.5)
    with pytest.raises(InputError, match="not a readable media file"):
        probe(bad)
