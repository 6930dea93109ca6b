"""data/: clip sequences, the padding collate, clips from feature arrays / the store / text embeddings."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from cinescribe.data.annotations import AD, read_annotations
from cinescribe.data.clips import Clip, ClipSequenceDataset, make_sequences
from cinescribe.data.collate import SequenceCollator, even_indices
from cinescribe.data.config import DataConfig, build_clips
from cinescribe.data.sources import mad_clips, store_clips, with_keyframes
from cinescribe.data.text_features import read_text_corpus, text_clips
from cinescribe.errors import InputError
from cinescribe.features.store import FeatureStore


def clip(film: str, i: int, frames: int = 3, dim: int = 4, scene: bool = False, text: str | None = None) -> Clip:
    rng = np.random.default_rng(i)
    return Clip(film, float(i), i + 1.5, text or f"Ann opens door number {i}.",
                rng.standard_normal((frames, dim)).astype(np.float32),
                rng.standard_normal((2, dim)).astype(np.float32) if scene else None, ("Ann",))


def test_sequences_cover_every_clip_and_keep_history():
    films = {"b": [clip("b", i) for i in range(7)], "a": [clip("a", i) for i in range(2)]}
    seqs = make_sequences(films, n=3, history=2)
    assert [s.film for s in seqs] == ["a", "b", "b", "b"]
    assert [c.start for c in seqs[0].clips] == [0, 1]  # short film: one shorter sequence
    assert [[c.start for c in s.clips] for s in seqs[1:]] == [[0, 1, 2], [3, 4, 5], [4, 5, 6]]  # last one shifted
    assert seqs[2].history == ("Ann opens door number 1.", "Ann opens door number 2.")
    assert seqs[2].previous_ads(1, 2) == ["Ann opens door number 2.", "Ann opens door number 3."]
    assert len(make_sequences(films, n=3, stride=1)) == 1 + 5
    with pytest.raises(InputError, match="at least 1"):
        make_sequences(films, n=0)


def test_dataset_rejects_mixed_feature_sizes():
    with pytest.raises(InputError, match="different sizes"):
        ClipSequenceDataset({"a": [clip("a", 0, dim=4)], "b": [clip("b", 0, dim=5)]}, n=2)
    with pytest.raises(InputError, match="non-empty"):
        Clip("a", 0, 1, "x", np.zeros((0, 4), np.float32))


def test_collate_pads_masks_and_marks_distinctive_words(tiny_tokenizer):
    films = {"a": [clip("a", i, frames=2 + i, scene=True) for i in range(3)],
             "b": [clip("b", 0, frames=9, scene=True, text="Ann sees a red kite.")]}
    seqs = make_sequences(films, n=3)
    batch = SequenceCollator(tiny_tokenizer, max_frames=5, previous=1)(seqs)
    x = batch.inputs
    assert x["frames"].shape == (2, 3, 5, 4) and x["frame_mask"].shape == (2, 3, 5)
    assert x["frame_mask"][0].sum(1).tolist() == [2, 3, 4] and x["frame_mask"][1, 0].sum() == 5
    assert torch.equal(x["frames"][0, 0, 2:], torch.zeros(3, 4))  # padding is zero
    assert torch.allclose(x["frames"][0, 1, :3], torch.from_numpy(films["a"][1].frames))
    assert x["clip_mask"].tolist() == [[True, True, True], [True, False, False]]
    assert x["scene"].shape == (2, 3, 2, 4) and not x["scene_mask"][1, 1:].any()
    assert x["prompt_ids"].shape[:2] == (2, 3) and x["target_ids"].shape[:2] == (2, 3)
    assert not x["target_mask"][1, 1:].any()
    assert batch.previous_ads[0] == [[], ["Ann opens door number 0."], ["Ann opens door number 1."]]
    # the only distinctive word of clip a/0 is its number "0" (the rest repeats in its neighbours or is a name)
    ids = x["target_ids"][0, 0][x["distinct_mask"][0, 0]].tolist()
    assert tiny_tokenizer.decode(ids).strip() == "0"
    assert batch.word_budgets[0][0] == pytest.approx(1.5 * 2.5)
    assert even_indices(9, 5).tolist() == [0, 2, 4, 6, 8]


def test_benchmark_annotations_with_mad_style_arrays(tmp_path):
    csv = tmp_path / "tvad.csv"
    csv.write_text("text,start,end,imdbid_pe\nHe sits.,1.0,3.0,ep1\nShe waves.,4.1,4.15,ep1\nA car.,0.5,1.0,ep2\n")
    feats = tmp_path / "feats"
    feats.mkdir()
    np.save(feats / "ep1.npy", np.arange(30 * 2, dtype=np.float32).reshape(30, 2))  # 6 s at 5 fps
    films = mad_clips(read_annotations(csv), feats, scene_window=1.0)
    assert list(films) == ["ep1"]  # ep2 has no features: skipped
    first, second = films["ep1"]
    assert first.frames.shape == (11, 2) and first.frames[0, 0] == 10  # frames 5..15 = 1.0..3.0 s
    assert second.frames.shape == (1, 2) and second.frames[0, 0] == 2 * 21  # nearest frame to 4.125 s
    assert first.scene.shape == (21, 2)  # 0.0..4.0 s
    np.save(tmp_path / "other.npy", np.zeros((5, 2), np.float32))
    with pytest.raises(InputError, match="no film"):
        mad_clips(read_annotations(csv), tmp_path / "other.npy")


def test_feature_store_entries_by_video_stem(tmp_path):
    from safetensors.numpy import save_file

    folder = tmp_path / "store" / "abc" / "pixels-1"
    folder.mkdir(parents=True)
    times = np.arange(20) / 4.0
    save_file({"features": np.eye(20, 3, dtype=np.float32), "times": times, "indices": np.arange(20)},
              str(folder / "shard-00000.safetensors"))
    manifest = {"complete": True, "video": {"path": "/videos/film1.mp4"}, "encoder": {"id": "pixels", "dim": 3},
                "sampling": {"fps": 4.0}, "times": times.tolist(),
                "shards": [{"file": "shard-00000.safetensors", "t0": 0.0, "t1": float(times[-1])}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    ads = tmp_path / "gt.jsonl"
    ads.write_text('{"film": "film1", "start": 1.0, "end": 2.0, "text": "A door opens."}\n')
    films = store_clips(read_annotations(ads), FeatureStore(tmp_path / "store"))
    assert films["film1"][0].frames.shape == (5, 3)
    with pytest.raises(InputError, match="no complete entries"):
        store_clips(read_annotations(ads), FeatureStore(tmp_path / "store"), encoder="clip")


def test_keyframes_keep_k_frames_plus_coarse_tokens():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 8)).astype(np.float32)
    frames = np.repeat(base, 4, axis=0) + 0.01 * rng.standard_normal((12, 8)).astype(np.float32)
    c = Clip("a", 0, 3, "x", frames)
    out = with_keyframes({"a": [c, Clip("a", 3, 4, "y", base)]}, "uniform", 2)["a"][0]
    assert out.frames.shape == (3, 8)  # 2 key frames + 1 coarse token for the rest
    assert np.allclose(out.frames[0], frames[2]) or np.allclose(out.frames[0], frames[3])
    events = with_keyframes({"a": [c]}, "events", 3)["a"][0]
    assert 3 <= len(events.frames) <= 6


def test_text_clips_sentence_and_word_modes(tmp_path):
    ads = [AD("ep", float(i), i + 1.0, t) for i, t in enumerate(
        ["Rachel sits next to him.", "His umbrella springs open.", "Monica beams and sidles back inside."])]
    films = text_clips(ads, "sentence", scene_neighbours=1, cache_dir=tmp_path)
    clips = films["ep"]
    assert clips[0].frames.shape == (1, 384) and np.isclose(np.linalg.norm(clips[0].frames), 1, atol=1e-5)
    assert clips[1].scene.shape == (2, 384) and clips[0].scene.shape == (1, 384)
    assert np.allclose(clips[1].scene[0], clips[0].frames[0], atol=1e-6)  # neighbours, never itself
    similar = float(clips[0].frames[0] @ clips[0].frames[0])
    assert similar > float(clips[0].frames[0] @ clips[1].frames[0])
    assert len(list(tmp_path.glob("minilm-*.npz"))) == 1
    again = text_clips(ads, "words", cache_dir=tmp_path)["ep"]  # from the cache
    assert again[0].frames.shape == (6, 384)  # 5 words + "." (no [CLS]/[SEP])


def test_text_corpus_in_file_order(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("index,text_gt\n0,The ship stops.\n1,He frowns.\n4,\n5,She leaves.\n")
    ads = read_text_corpus(path, film_size=2)
    assert [(a.film, a.start, a.text) for a in ads] == [
        ("train-00000", 0.0, "The ship stops."), ("train-00000", 1.0, "He frowns."), ("train-00001", 3.0, "She leaves.")]
    with pytest.raises(InputError, match="no column 'text'"):
        read_text_corpus(path, column="text")
    with pytest.raises(InputError, match="needs the 'features' setting"):
        build_clips(DataConfig(source="features", annotations=str(path)))


@pytest.fixture(scope="module")
def tiny_tokenizer():
    from tiny_lm import make_tokenizer

    return make_tokenizer()
