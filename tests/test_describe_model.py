"""``describe --model``: each slot's AD written by a trained AD model (tiny GPT-2, nothing downloaded)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from cinescribe.data.fact_vector import FACT_DIM, SlotFacts, fact_rows
from cinescribe.describe.learned import LearnedWriter, fit_words, perception_vectors, weights_hash
from cinescribe.describe.pipeline import LEARNED_REASON, DescribeConfig
from cinescribe.errors import InputError
from conftest import describe_files
from cinescribe.features.analysers.base import Detection, FrameAnalysis
from cinescribe.models import create_model
from cinescribe.models.inference import InferenceConfig
from test_describe_cli import assert_one_line_error, run
from test_describe_pipeline import FakeCatDetector, Interrupt, InterruptingDetector

PIXELS_ONLY = DescribeConfig(objects=False, faces=False, poses=False, ocr=False, setting=False)
TINY = {"resampler.dim": 16, "resampler.num_latents": 2, "resampler.depth": 1, "resampler.heads": 2,
        "resampler.dim_head": 8, "resampler.ff_mult": 2, "resampler.max_frames": 8, "ema.num_bases": 4}
VARIANTS = {"baseline": ("prefix-baseline", {}), "scene+ema": ("cinescribe-ad", {"resampler.kind": "perceiver"})}


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory) -> Path:
    from tiny_lm import make_lm_dir

    return make_lm_dir(tmp_path_factory.mktemp("tiny-lm"))


def save_model(folder: Path, lm_dir: Path, variant: str = "baseline", vision_dim: int = 99) -> Path:
    name, extra = VARIANTS[variant]
    torch.manual_seed(0)
    model = create_model(name, {**TINY, **extra, "vision_dim": vision_dim, "lm_path": str(lm_dir)})
    assert model.config.dual_vision == model.config.ema.enabled == (variant != "baseline")
    return model.save_pretrained(folder)


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory, lm_dir) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ad-models")
    return {v: save_model(root / v, lm_dir, v) for v in VARIANTS}


def check_script(script, folder: Path, duration: float) -> None:
    described = [d for d in script.descriptions if d.keyframes]
    assert len(described) >= 3
    for d in described:
        assert d.text and len(d.text.split()) <= d.slot.word_budget, d.to_dict()
        assert d.reason == LEARNED_REASON and d.facts == [] and d.considered  # the cat it was shown is recorded
    slots = [d.slot for d in script.descriptions]
    assert all(0 <= s.start < s.end <= duration + 1e-6 for s in slots)
    assert all(a.end <= b.start for a, b in zip(slots, slots[1:]))
    assert script.models["ad_model"].startswith(f"{folder} ({weights_hash(folder)}; ")
    assert script.config["model"] == str(folder) and not script.config["polish"]


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_describe_with_a_model(speech_video, model_dirs, tmp_path, variant):
    folder = model_dirs[variant]
    cfg = replace(PIXELS_ONLY, model=str(folder))
    out = tmp_path / "out"
    script, paths = describe_files(speech_video.path, out, cfg=cfg, analysers=[FakeCatDetector()])
    check_script(script, folder, speech_video.duration)
    saved = json.loads(paths["json"].read_text())
    assert saved["models"]["ad_model"] == script.models["ad_model"] and saved["config"]["model"] == str(folder)
    cues = paths["vtt"].read_text()
    assert all(d.text in cues for d in script.spoken)

    again, _ = describe_files(speech_video.path, out, cfg=cfg, analysers=[FakeCatDetector()])
    assert [d.to_dict() for d in again.descriptions] == [d.to_dict() for d in script.descriptions]


@pytest.mark.slow
def test_interrupted_run_resumes_with_the_same_context(speech_video, model_dirs, tmp_path):
    cfg = replace(PIXELS_ONLY, model=str(model_dirs["scene+ema"]))
    reference, _ = describe_files(speech_video.path, tmp_path / "ref", cfg=cfg, analysers=[FakeCatDetector()])
    out = tmp_path / "out"
    with pytest.raises(Interrupt):
        describe_files(speech_video.path, out, cfg=cfg, analysers=[InterruptingDetector(after=6)])
    assert (out / ".speech.ad.journal.jsonl").exists()
    resumed, _ = describe_files(speech_video.path, out, cfg=cfg, analysers=[FakeCatDetector()])
    assert [d.to_dict() for d in resumed.descriptions] == [d.to_dict() for d in reference.descriptions]
    assert resumed.models == reference.models


@pytest.mark.slow
def test_describe_with_a_fact_vector_model(speech_video, lm_dir, tmp_path):
    folder = save_model(tmp_path / "facts", lm_dir, vision_dim=FACT_DIM)
    cfg = replace(PIXELS_ONLY, model=str(folder))
    script, _ = describe_files(speech_video.path, tmp_path / "out", cfg=cfg, analysers=[FakeCatDetector()])
    check_script(script, folder, speech_video.duration)


def test_a_fact_vector_model_reads_the_slot_facts_with_every_frame(tmp_path, lm_dir):
    from cinescribe.models import ADModel

    model = ADModel.from_pretrained(save_model(tmp_path / "facts", lm_dir, vision_dim=FACT_DIM))
    writer = LearnedWriter(model, clips=2)
    assert writer.reads_slot_facts
    seen = []
    generate = model.generate

    def spy(frames, *args, **kwargs):
        seen.append(frames.clone())
        return generate(frames, *args, **kwargs)

    model.generate = spy
    walking = SlotFacts(actions=frozenset({"walk"}), characters=((1, "male"),))
    measured = analysis(0.0, "cat") + analysis(0.5, "dog")
    writer.write(measured, 4, facts=walking)
    writer.write(analysis(1.0, "car"), 4)  # no facts: an empty slot block
    assert seen[0].shape == (1, 1, 2, FACT_DIM) and seen[1].shape == (1, 2, 2, FACT_DIM)
    assert np.allclose(seen[1][0, 0].numpy(), fact_rows(perception_vectors(measured), walking), atol=1e-6)
    assert np.allclose(seen[1][0, 1, :1].numpy(), fact_rows(perception_vectors(analysis(1.0, "car")), SlotFacts()),
                       atol=1e-6)


def test_bad_models_are_one_line_input_errors(tmp_path, lm_dir):
    wrong = save_model(tmp_path / "wrong", lm_dir, vision_dim=16)
    with pytest.raises(InputError, match="reads 16-d features, but describe feeds it 99-d perception vectors"):
        replace(PIXELS_ONLY, model=str(wrong)).validate()
    with pytest.raises(InputError, match="not a trained AD model folder"):
        LearnedWriter.load(tmp_path)
    moved = shutil.copytree(lm_dir, tmp_path / "lm")
    folder = save_model(tmp_path / "model", moved)
    shutil.rmtree(moved)
    with pytest.raises(InputError, match="pass the language model's folder with --model-lm DIR"):
        replace(PIXELS_ONLY, model=str(folder)).validate()
    replace(PIXELS_ONLY, model=str(folder), model_lm=str(lm_dir)).validate()
    assert LearnedWriter.load(folder, str(lm_dir)).model.config.lm_path == str(lm_dir)


@pytest.mark.parametrize("command", ["describe", "batch"])
def test_cli_missing_model_folder(tmp_path, speech_video, command):
    out = tmp_path / "out"
    assert_one_line_error(run(command, speech_video.path, "-o", out, "--model", tmp_path / "nope"),
                          "--model", "no such folder")
    assert not out.exists() or not any(out.iterdir())


def test_cli_model_and_polish_together(tmp_path, speech_video, model_dirs):
    assert_one_line_error(run("describe", speech_video.path, "-o", tmp_path / "out", "--model", model_dirs["baseline"],
                              "--polish"), "choose one")


def analysis(t: float, label: str) -> list[FrameAnalysis]:
    return [FrameAnalysis(t=t, objects=[Detection(label, 0.9, (0.1, 0.1, 0.5, 0.5))])]


def test_rolling_context_keeps_the_last_n_minus_1_slots(model_dirs):
    from cinescribe.models import ADModel

    model = ADModel.from_pretrained(model_dirs["scene+ema"])
    writer = LearnedWriter(model, clips=3, previous=1)
    seen = []
    generate = model.generate

    def spy(frames, prompt_ids, prompt_mask, word_budgets, **kwargs):
        seen.append((frames.clone(), kwargs["scene"].clone(), kwargs["previous_ads"], word_budgets,
                     [model.tokenizer.decode(ids[m]) for ids, m in zip(prompt_ids[0], prompt_mask[0])]))
        return generate(frames, prompt_ids, prompt_mask, word_budgets, **kwargs)

    model.generate = spy
    labels = ["cat", "dog", "car", "cup"]
    texts = [writer.write(analysis(i, label), 4, scene_id=0 if i < 3 else 1) for i, label in enumerate(labels)]
    assert [s.text for s in writer.context] == texts[2:] and list(writer.history) == texts[1:2]
    assert writer.memory == 3
    frames, scene, previous, budgets, prompts = seen[-1]
    vectors = [perception_vectors(analysis(i, label)) for i, label in enumerate(labels)]
    assert frames.shape == (1, 3, 1, 99) and budgets == [[4, 4, 4]]
    for j, i in enumerate([1, 2, 3]):  # the oldest slot (cat) was dropped; this slot is the last clip
        assert np.allclose(frames[0, j].numpy(), vectors[i])
    assert np.allclose(scene[0, 2, :1].numpy(), vectors[3])  # slot 3 is alone in its scene
    assert np.allclose(scene[0, 1, :3].numpy(), np.concatenate(vectors[:3]))  # slot 2 saw slots 0-1 of scene 0
    assert previous[0][2] == texts[1:3]  # the context's ADs are penalised
    assert prompts[2] == f"Previously: {texts[2]}\nDescription:"  # as training's prompt with previous_ads=1
    assert all(len(t.split()) <= 4 for t in texts)


def test_fit_words_cuts_at_a_word_boundary():
    assert fit_words("A man walks into the kitchen, carrying a red box.", 6) == "A man walks into the kitchen"
    assert fit_words(" She  smiles.\n", 6) == "She smiles."
    assert fit_words("She smiles.", 0) == ""
    assert fit_words("The man is on the bridge.", 4) == "The man"  # no dangling function words
    assert fit_words("The dark, a shadow falls.", 3) == "The dark"


def test_inference_settings_travel_with_the_model(tmp_path, model_dirs, caplog):
    moved = shutil.copytree(model_dirs["baseline"], tmp_path / "elsewhere" / "model")
    InferenceConfig(5, 2).save(moved)
    writer = LearnedWriter.load(moved)
    assert (writer.clips, writer.previous, writer.memory) == (5, 2, 6)
    bare = LearnedWriter.load(model_dirs["baseline"])  # saved without inference.json: training's defaults
    assert (bare.clips, bare.previous) == (8, 0) and "has no inference.json" in caplog.text
    (moved / "inference.json").write_text('{"sequence_length": 0, "previous_ads": 0, "words_per_second": 2.5}')
    with pytest.raises(InputError, match="sequence_length must be >= 1"):
        LearnedWriter.load(moved)


@pytest.mark.slow
def test_text_models_load_the_ad_model_once_for_many_videos(speech_video, model_dirs, tmp_path, monkeypatch):
    from cinescribe.describe.pipeline import TextModels

    loads = []
    load = LearnedWriter.load.__func__

    def counting(cls, folder, lm_path=""):
        loads.append(folder)
        return load(cls, folder, lm_path)

    monkeypatch.setattr(LearnedWriter, "load", classmethod(counting))
    cfg = replace(PIXELS_ONLY, model=str(model_dirs["baseline"]))
    shared = TextModels(cfg)
    first, second = shared.writer(), shared.writer()
    assert first is not second and first.model is second.model and not second.context
    scripts = [describe_files(speech_video.path, tmp_path / name, cfg=cfg, analysers=[FakeCatDetector()],
                                  text_models=shared)[0] for name in ("a", "b")]
    assert len(loads) == 1
    assert [d.text for d in scripts[0].descriptions] == [d.text for d in scripts[1].descriptions]
    assert TextModels(PIXELS_ONLY).writer() is None and TextModels(PIXELS_ONLY).polisher() is None
