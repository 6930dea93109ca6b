"""train/: config validation, schedule, the loop on CPU (loss goes down), exact resume, outputs, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from cinescribe.errors import InputError
from cinescribe.models import ADModel
from cinescribe.models.inference import InferenceConfig
from cinescribe.train.config import ScheduleSection, load_config
from cinescribe.train.lm import LMSettings, pretrain_lm
from cinescribe.train.loop import batch_indices
from cinescribe.train.run import build_trainer, train_from_config
from cinescribe.train.stage1 import FrameAdapter

ADS = ["Ann opens the door slowly.", "She smiles at him.", "A man walks into the kitchen.",
       "The car stops outside the house.", "Ann sees Bob.", "She picks up a red kite.",
       "He looks around the dark room.", "Bob carries a small red box."]
TINY = {"resampler.dim": 16, "resampler.num_latents": 2, "resampler.depth": 1, "resampler.heads": 2,
        "resampler.dim_head": 8, "resampler.ff_mult": 2, "resampler.max_frames": 8, "ema.num_bases": 4}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    from tiny_lm import make_lm_dir

    root = tmp_path_factory.mktemp("train-data")
    lines = ["film,start,end,text"] + [f"f{i // 4},{2.0 * (i % 4)},{2.0 * (i % 4) + 1.5},{t}" for i, t in enumerate(ADS)]
    (root / "ads.csv").write_text("\n".join(lines) + "\n")
    rng = np.random.default_rng(0)
    feats = root / "feats"
    feats.mkdir()
    for film in ("f0", "f1"):
        np.save(feats / f"{film}.npy", rng.standard_normal((40, 6)).astype(np.float32))
    return {"root": root, "lm": make_lm_dir(root / "lm", ADS)}


def write_config(corpus, tmp_path: Path, **extra) -> Path:
    config = {
        "stage": "stage2", "output_dir": str(tmp_path / "run"), "seed": 3,
        "model": {"name": "cinescribe-ad", "overrides": {**TINY, "lm_path": str(corpus["lm"])}},
        "data": {"source": "features", "annotations": str(corpus["root"] / "ads.csv"),
                 "features": str(corpus["root"] / "feats"), "scene_window": 2.0, "sequence_length": 4},
        "optim": {"lr": 3e-3}, "schedule": {"steps": 6, "warmup_steps": 2}, "batch_size": 2,
        "checkpoint_every": 3, "log_every": 1,
    }
    for key, value in extra.items():
        node = config
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def params(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.named_parameters() if v.requires_grad}


def test_config_errors_are_one_line(tmp_path, corpus):
    path = write_config(corpus, tmp_path, **{"optim.learning_rate": 1.0})
    with pytest.raises(InputError, match=r"unknown key\(s\) learning_rate") as err:
        load_config(path)
    assert "\n" not in str(err.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text("stage: [stage2\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(InputError, match="stage must be one of"):
        load_config(write_config(corpus, tmp_path, stage="stage3"))
    with pytest.raises(InputError, match="batch_size must be an integer"):
        load_config(write_config(corpus, tmp_path, batch_size="two"))


def test_warmup_then_cosine():
    s = ScheduleSection(steps=10, warmup_steps=4, min_lr_ratio=0.1)
    assert [round(s.factor(i), 3) for i in range(4)] == [0.2, 0.4, 0.6, 0.8]
    assert s.factor(4) == pytest.approx(1.0) and s.factor(10) == pytest.approx(0.1)
    assert s.factor(7) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * 0.5)))


def test_data_order_is_a_function_of_seed_and_step():
    assert batch_indices(10, 3, 0, 4) == batch_indices(10, 3, 0, 4)
    epoch0 = [i for m in range(3) for i in batch_indices(10, 3, 0, m)]
    assert len(set(epoch0)) == 9 and batch_indices(10, 3, 0, 3) != batch_indices(10, 3, 1, 3)
    assert sorted(batch_indices(2, 8, 0, 5)) == [0, 1]


def test_stage2_loss_decreases_on_a_fixed_batch(tmp_path, corpus):
    config, base = load_config(write_config(corpus, tmp_path, **{
        "schedule.steps": 20, "schedule.warmup_steps": 0, "optim.lr": 1e-2, "model.name": "prefix-baseline",
        "model.overrides": {**TINY, "resampler.num_latents": 4, "lm_path": str(corpus["lm"])}}))
    trainer = build_trainer(config, base)
    assert len(trainer.dataset) == 2 and config.batch_size == 2  # every step sees the same two sequences
    batch = trainer.task.collate([trainer.dataset[0], trainer.dataset[1]])

    def eval_loss() -> float:
        trainer.task.module.eval()
        with torch.no_grad():
            return float(trainer.task.loss(batch)["loss"])

    before = eval_loss()
    logged = [trainer.train_step() for _ in range(20)]
    after = eval_loss()
    assert after < 0.9 * before, (before, after)
    assert logged[0]["lr"] == pytest.approx(1e-2) and logged[-1]["lr"] < logged[10]["lr"]


def test_resume_continues_exactly(tmp_path, corpus):
    straight_cfg, base = load_config(write_config(corpus, tmp_path / "a"))
    straight = build_trainer(straight_cfg, base)
    straight.run()
    cfg, base = load_config(write_config(corpus, tmp_path / "b"))
    first = build_trainer(cfg, base)
    summary = first.run(stop_after=3)
    assert summary["step"] == 3 and not summary["complete"] and not (Path(cfg.output_dir) / "model").exists()
    torch.manual_seed(1234)  # a new process: the RNG state must come from the checkpoint
    resumed = build_trainer(cfg, base)
    assert resumed.run()["step"] == 6
    a, b = params(straight.task.module), params(resumed.task.module)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    out = Path(cfg.output_dir)
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5, 6]
    assert log == [json.loads(x) for x in (Path(straight_cfg.output_dir) / "log.jsonl").read_text().splitlines()]
    assert (out / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in (out / "checkpoints").glob("step-*")) == ["step-00000003", "step-00000006"]
    reloaded = ADModel.from_pretrained(out / "model")
    assert all(torch.equal(reloaded.state_dict()[k], v) for k, v in b.items())
    assert InferenceConfig.read(out / "model") == InferenceConfig(4, 0, 2.5)  # what describe --model needs
    assert InferenceConfig.read(out / "checkpoints" / "step-00000003" / "model") == InferenceConfig(4, 0, 2.5)
    assert json.loads((out / "summary.json").read_text())["complete"] is True


def test_resume_refuses_a_changed_config(tmp_path, corpus):
    cfg, base = load_config(write_config(corpus, tmp_path, **{"schedule.steps": 1}))
    build_trainer(cfg, base).run()
    cfg, base = load_config(write_config(corpus, tmp_path, **{"schedule.steps": 1, "seed": 9}))
    with pytest.raises(InputError, match="different seed"):
        build_trainer(cfg, base).run()


def test_validation_metrics_are_injected(tmp_path, corpus):
    path = write_config(corpus, tmp_path, **{"schedule.steps": 2, "validation": {
        "source": "features", "annotations": str(corpus["root"] / "ads.csv"),
        "features": str(corpus["root"] / "feats"), "scene_window": 2.0, "sequence_length": 4}})
    seen = []

    def metrics(generated):
        seen.append(generated)
        return {"n": float(len(generated))}

    summary = train_from_config(path, metrics=metrics)
    assert summary["validation"]["n"] == 8.0 and summary["validation"]["val_loss"] > 0
    assert {g.reference for g in seen[0]} == set(ADS)


def test_stage1_adapter_learns_and_feeds_stage2(tmp_path, corpus):
    path = write_config(corpus, tmp_path, stage="stage1", **{"schedule.steps": 12, "schedule.warmup_steps": 0,
                                                              "stage1.hidden": 32, "batch_size": 2, "optim.lr": 1e-2})
    config, base = load_config(path)
    trainer = build_trainer(config, base)
    losses = [trainer.train_step()["loss"] for _ in range(12)]
    assert losses[-1] < 0.8 * losses[0], losses
    trainer.task.save(tmp_path / "adapter")
    adapter = FrameAdapter.from_pretrained(tmp_path / "adapter")
    x = torch.randn(3, 6)
    assert adapter(x).shape == (3, 384) and torch.allclose(adapter(x), trainer.task.module(x))
    cfg2, base2 = load_config(write_config(corpus, tmp_path / "s2", **{"model.stage1": str(tmp_path / "adapter"),
                                                                       "schedule.steps": 1}))
    stage2 = build_trainer(cfg2, base2)
    assert stage2.task.module.config.vision_dim == 384 and np.isfinite(stage2.train_step()["loss"])


def test_cli_train_reports_bad_config_in_one_line(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("stage: stage2\nbogus: 1\n")
    proc = subprocess.run([sys.executable, "-m", "cinescribe", "train", str(bad)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "bogus" in proc.stderr


def test_small_lm_pretraining_learns_the_corpus(tmp_path):
    texts = ADS * 8
    stats = pretrain_lm(texts, tmp_path / "lm", LMSettings(vocab_size=300, layers=1, dim=32, heads=2, steps=30,
                                                           batch_size=16, lr=1e-2, warmup_steps=2))
    assert stats["last_loss"] < 0.6 * stats["first_loss"], stats
    from cinescribe.models import load_causal_lm

    lm, tokenizer = load_causal_lm(tmp_path / "lm")
    assert tokenizer.eos_token == "<eos>" and lm.config.n_layer == 1
    assert not list(tmp_path.glob(".lm.part"))


def test_overrides_reach_nested_keys(tmp_path, corpus):
    config, _ = load_config(write_config(corpus, tmp_path), {"schedule.steps": 9, "model.overrides.ema.alpha": 0.0,
                                                              "data.keyframes": "uniform"})
    assert config.schedule.steps == 9 and config.data.keyframes == "uniform"
    assert config.model.overrides["ema.alpha"] == 0.0 and config.model.overrides["resampler.dim"] == 16
    with pytest.raises(InputError, match="unknown key"):
        load_config(write_config(corpus, tmp_path), {"schedule.total": 9})
