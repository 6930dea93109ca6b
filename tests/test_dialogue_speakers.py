"""Speaker turns: the GE2E voice encoder (against resemblyzer's own network), the clustering of
lines into voices, and describe --speakers on generated dialogue in two espeak-ng voices."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest
import torch

from cinescribe import packaged
from cinescribe.describe.pipeline import DescribeConfig
from cinescribe.errors import InputError, MissingDependencyError
from cinescribe.export.transcript import dialogue_srt, speaker_label, to_transcript_txt
from cinescribe.media import voice_encoder
from cinescribe.media.asr import Segment, Transcript, Word
from cinescribe.timeline import Interval
from conftest import describe_files
from cinescribe.media.speakers import choose_cut, cluster_voices, line_audio, speaker_turns, voiced_spans
from cinescribe.media.voice_encoder import (HOP, N_MELS, PARTIAL_FRAMES, VoiceEncoder, load_voice_encoder,
                                            mel_filterbank, mel_frames, partial_starts)


def tone() -> np.ndarray:
    t = np.arange(16000) / 16000
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 2500 * t)).astype(np.float32)


def test_mel_frames_equal_librosa():
    # librosa 0.11.0: librosa.feature.melspectrogram(y=tone(), sr=16000, n_fft=400, hop_length=160, n_mels=40)
    mel = mel_frames(tone())
    assert mel.shape == (101, N_MELS) and mel.dtype == np.float32
    assert mel[50, 5] == pytest.approx(14.787984, rel=1e-5)  # the 440 Hz band
    assert mel.sum() == pytest.approx(1913.9912, rel=1e-5)
    fb = mel_filterbank()
    assert fb.shape == (N_MELS, 201) and (fb >= 0).all()
    peaks = fb.argmax(axis=1)
    assert (np.diff(peaks) >= 0).all() and peaks[0] <= 2 and peaks[-1] >= 180  # 0 Hz to 8 kHz, in order


def test_partials_follow_the_reference_slicing():
    assert partial_starts(8000) == [0]  # shorter than one partial: one, padded
    assert partial_starts(3 * 16000) == [0, 77, 154]  # one every 1/1.3 s (77 frames)
    assert partial_starts(int(2.6 * 16000)) == [0, 77]  # a last partial only 66% audio is dropped


def test_tiny_encoder_shapes_gradients_and_unit_output():
    torch.manual_seed(0)
    net = VoiceEncoder(n_mels=8, hidden=6, layers=2, embedding=5)
    x = torch.rand(3, 20, 8, requires_grad=True)
    e = net(x)
    assert e.shape == (3, 5)
    assert torch.allclose(e.norm(dim=1), torch.ones(3), atol=1e-5) and (e >= 0).all()
    (e * torch.arange(1.0, 6.0)).sum().backward()  # a weighted sum: the unit norm alone has no gradient
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in net.parameters())


@pytest.fixture(scope="module")
def encoder():
    return load_voice_encoder()


def test_equals_the_packages_network(encoder, monkeypatch):
    """resemblyzer's own VoiceEncoder (its librosa and webrtcvad imports stubbed: neither is
    installed, and neither is used by the network) gives the same embeddings."""
    for name in ("librosa", "webrtcvad"):
        monkeypatch.setitem(sys.modules, name, sys.modules.get(name) or types.ModuleType(name))
    ref_module = pytest.importorskip("resemblyzer.voice_encoder")
    ref = ref_module.VoiceEncoder(device="cpu", verbose=False)
    mels = torch.rand(2, PARTIAL_FRAMES, N_MELS, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(encoder(mels), ref(mels), rtol=0, atol=1e-6)
    monkeypatch.setattr(ref_module.audio, "wav_to_mel_spectrogram", mel_frames)
    rng = np.random.default_rng(2)
    wav = (0.05 * rng.standard_normal(int(3.3 * 16000))).astype(np.float32)
    ours = encoder.embed(wav)
    assert ours.shape == (256,) and abs(float(np.linalg.norm(ours)) - 1) < 1e-5
    np.testing.assert_allclose(ours, ref.embed_utterance(voice_encoder.normalise_volume(wav)), atol=1e-5)


def test_missing_or_corrupt_weights_name_the_package(monkeypatch, tmp_path):
    def absent(name):
        raise packaged.metadata.PackageNotFoundError(name)

    with monkeypatch.context() as m:
        m.setattr(packaged.metadata, "distribution", absent)
        with pytest.raises(MissingDependencyError, match="resemblyzer==0.1.4"):
            voice_encoder.weights_path()
        with pytest.raises(MissingDependencyError, match="resemblyzer"):
            DescribeConfig(speakers=True).validate()  # before anything is decoded or written
    bad = tmp_path / "pretrained.pt"
    bad.write_bytes(b"not the weights")
    with pytest.raises(MissingDependencyError, match="corrupt.*--no-deps --force-reinstall resemblyzer"):
        load_voice_encoder(bad)


def test_speakers_need_speech_recognition():
    with pytest.raises(InputError, match="--speakers needs speech recognition"):
        DescribeConfig(speakers=True, asr="").validate()


def test_cut_falls_in_the_widest_gap_of_the_merges():
    assert choose_cut([0.1, 0.12, 0.38]) == pytest.approx((0.2 + 0.38) / 2)  # within-voice merges below 0.2
    assert choose_cut([0.1, 0.15]) == pytest.approx((0.2 + 0.45) / 2)  # nothing inside: one voice


def test_clustering_separates_two_voices_and_keeps_one():
    rng = np.random.default_rng(0)
    a, b = np.eye(8)[0], np.eye(8)[0] * 0.6 + np.eye(8)[1] * 0.8  # cosine 0.6 between the two voices' centres

    def around(c, n):
        x = c + 0.08 * rng.standard_normal((n, 8))
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    labels, cut = cluster_voices(np.concatenate([around(a, 4), around(b, 4)]))
    assert len(set(labels[:4])) == 1 and len(set(labels[4:])) == 1 and labels[0] != labels[4]
    one, _ = cluster_voices(around(a, 6))
    assert len(set(one)) == 1
    assert cluster_voices(np.zeros((0, 8))) == ([], pytest.approx(0.45))


def test_line_audio_joins_the_words_cut_to_the_speech():
    audio = np.arange(16000 * 4, dtype=np.float32)
    seg = Segment(1.0, 3.0, "a b", (Word(1.0, 1.5, "a", 1.0), Word(1.6, 3.0, "b", 1.0)))
    assert voiced_spans(seg) == [(1.0, 1.5), (1.6, 3.0)]
    spans = voiced_spans(seg, [Interval(0.9, 1.4), Interval(2.5, 3.5)])  # "b" stretched over a silence
    assert spans == [(1.0, 1.4), (2.5, 3.0)]
    got = line_audio(audio, spans)
    assert len(got) == int(1.45 * 16000) - int(0.95 * 16000) + int(3.05 * 16000) - int(2.45 * 16000) and got[0] == 0.95 * 16000


VOICES = ("en-us", "en-gb-x-rp+f3")
LINES = ["Where were you last night, and who was with you?", "I was at the station, waiting for the train.",
         "Nobody came to meet you there at the station?", "Nobody came, and the last train left without me.",
         "Then we leave at dawn, before they find the car.", "Did you bring the letter from your mother?"]


@pytest.fixture(scope="module")
def two_voices(tmp_media):
    speech, t = [], 0.5
    for n, line in enumerate(LINES):
        speech.append((t, line, VOICES[n % 2]))
        t += 0.33 * len(line.split()) + 1.0
    return tmp_media("two-voices.mp4", speech=speech, shots=[("coffee", t + 1.0)])


def test_two_espeak_voices_are_told_apart(two_voices, encoder):
    from cinescribe.media.asr import AsrConfig, transcribe
    from cinescribe.media.audio import extract_audio
    from cinescribe.media.vad import detect_speech

    audio = extract_audio(two_voices.path)
    regions = detect_speech(audio, 16000)
    transcript = transcribe(audio, regions, AsrConfig(model="tiny.en"))
    turns = speaker_turns(audio, transcript, encoder, speech=regions)

    def voice(s):  # the line the segment overlaps most
        spans = [max(0.0, min(s.end, iv.end) - max(s.start, iv.start)) for iv, _ in two_voices.lines]
        return int(np.argmax(spans)) % 2

    truth = [voice(s) for s in turns.segments]
    found = [s.speaker for s in turns.segments]
    assert set(truth) == {0, 1} and found[0] == "S1" and set(found) == {"S1", "S2"}
    assert all((a == b) == (x == y) for (a, x) in zip(truth, found) for (b, y) in zip(truth, found))


@pytest.mark.slow
def test_describe_speakers_label_the_transcript_srt_and_text_alternative(two_voices, tmp_path):
    cfg = DescribeConfig(objects=False, faces=False, poses=False, ocr=False, setting=False, asr="tiny.en",
                         speakers=True)
    script, paths = describe_files(two_voices.path, tmp_path, cfg=cfg, analysers=[], formats=("srt",))
    doc = json.loads(paths["json"].read_text())
    assert [s["id"] for s in doc["transcript"]["speakers"]] == ["S1", "S2"]
    assert all(s.get("speaker") in ("S1", "S2") for s in doc["transcript"]["segments"])
    assert "speakers" in doc["models"] and doc["config"]["speakers"] is True
    srt = paths["subtitles"].read_text()
    cues = srt.strip().split("\n\n")
    assert cues[0].split("\n")[2][:2] != "- " and any(c.split("\n")[2].startswith("- ") for c in cues[1:])
    txt = to_transcript_txt(script)
    assert "SPEAKER 1:" in txt and "SPEAKER 2:" in txt and "DIALOGUE:" not in txt


def test_srt_marks_a_change_of_speaker():
    def seg(start, text, speaker):
        return Segment(start, start + 1.0, text, (Word(start, start + 1.0, text, 1.0),), speaker)

    srt = dialogue_srt(Transcript("en", 1.0, "base", [seg(0, "Hi.", "S1"), seg(2, "Hello.", "S2"),
                                                      seg(4, "Again.", "S2"), seg(6, "Bye.", "S1")]))
    texts = [c.split("\n")[2] for c in srt.strip().split("\n\n")]
    assert texts == ["Hi.", "- Hello.", "Again.", "- Bye."]
    unknown = dialogue_srt(Transcript("en", 1.0, "base", [seg(0, "Hi.", ""), seg(2, "Hello.", "")]))
    assert "- " not in unknown
    assert (speaker_label("S12"), speaker_label("John"), speaker_label("")) == ("Speaker 12", "John", "")
