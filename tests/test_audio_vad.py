import numpy as np
import pytest

from cinescribe.errors import InputError
from cinescribe.media.audio import extract_audio
from cinescribe.media.vad import BACKENDS, detect_speech


def _match(found, truth, tol):
    assert len(found) == len(truth), (found, truth)
    for f, t in zip(found, truth):
        assert abs(f.start - t.start) <= tol and abs(f.end - t.end) <= tol, (f, t)


def test_extract_audio(speech_video):
    a = extract_audio(speech_video.path)
    assert a.dtype == np.float32 and a.ndim == 1
    assert len(a) == pytest.approx(16000 * speech_video.duration, abs=1600)
    assert -1.0 <= a.min() and a.max() <= 1.0 and np.abs(a).max() > 0.3
    a8 = extract_audio(speech_video.path, rate=8000)
    assert len(a8) == pytest.approx(len(a) / 2, abs=800)


def test_no_audio_gives_empty_array(silent_video):
    a = extract_audio(silent_video.path)
    assert a.size == 0 and a.dtype == np.float32
    assert detect_speech(a, 16000) == []


def test_silero_on_espeak(speech_video):
    a = extract_audio(speech_video.path)
    _match(detect_speech(a, 16000, backend="silero"), speech_video.speech, 0.3)


def test_silero_other_rate(speech_video):
    a = extract_audio(speech_video.path, rate=22050)
    _match(detect_speech(a, 22050), speech_video.speech, 0.3)


def test_energy_backend(speech_video):
    a = extract_audio(speech_video.path)
    _match(detect_speech(a, 16000, backend="energy", min_silence=0.5), speech_video.speech, 0.3)


def test_energy_silence():
    rng = np.random.default_rng(0)
    assert detect_speech((0.001 * rng.standard_normal(16000)).astype(np.float32), 16000, backend="energy") == []


def test_registry_and_errors():
    assert {"silero", "energy"} <= set(BACKENDS)
    with pytest.raises(InputError, match="unknown VAD backend"):
        detect_speech(np.zeros(100, np.float32), 16000, backend="nope")
    with pytest.raises(InputError, match="threshold"):
        detect_speech(np.zeros(100, np.float32), 16000, threshold=1.5)


def test_audio_only_file_extracts(audio_only):
    a = extract_audio(audio_only.path)
    assert len(a) == pytest.approx(32000, abs=1600)
