"""The one audio resampler (media.audio.resample): no aliasing, amplitude kept in the pass band."""

import numpy as np
import pytest

from cinescribe.media.audio import resample


def tone(freq: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def rms(x: np.ndarray) -> float:
    middle = x[len(x) // 10: -len(x) // 10]  # away from the filter's edge transients
    return float(np.sqrt(np.mean(middle.astype(np.float64) ** 2)))


@pytest.mark.parametrize("src, dst", [(48000, 16000), (44100, 16000), (22050, 16000)])
def test_a_tone_above_the_new_nyquist_is_removed(src, dst):
    high = tone(10000.0, src)  # above dst/2 = 8 kHz: a naive resampler folds it to a false tone
    out = resample(high, src, dst)
    assert rms(out) < 0.01 * rms(high)
    naive = np.interp(np.arange(len(out)) * src / dst, np.arange(len(high)), high)
    assert rms(naive) > 0.3 * rms(high)  # what linear interpolation lets through


@pytest.mark.parametrize("src, dst", [(48000, 16000), (44100, 16000), (16000, 22050), (8000, 16000)])
def test_a_tone_below_the_new_nyquist_keeps_its_amplitude_and_pitch(src, dst):
    low = tone(1000.0, src)
    out = resample(low, src, dst)
    assert out.dtype == np.float32 and out.ndim == 1
    assert len(out) == pytest.approx(len(low) * dst / src, abs=1)
    assert rms(out) == pytest.approx(rms(low), rel=0.01)
    spectrum = np.abs(np.fft.rfft(out))
    assert np.fft.rfftfreq(len(out), 1 / dst)[spectrum.argmax()] == pytest.approx(1000.0, abs=2)


def test_same_rate_and_empty_and_bad_rates():
    x = tone(440.0, 16000, 0.1)
    assert np.array_equal(resample(x.astype(np.float64), 16000, 16000), x)
    assert resample(np.zeros(0, np.float32), 44100, 16000).size == 0
    with pytest.raises(ValueError, match="positive"):
        resample(x, 0, 16000)
