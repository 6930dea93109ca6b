"""``cinescribe train CONFIG.yaml``: config -> data, task, trainer -> a trained model folder.

Validation metrics are injected: ``metrics(generated) -> {name: value}`` is called on the
Stage-II model's generated ADs (:class:`~.stage2.Generated`) of the validation split; the
command line passes the evaluation suite's captioning metrics and Recall@k/N.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from ..data.collate import SequenceCollator
from ..data.config import DataConfig, build_dataset
from ..models import ADModel, create_model
from ..models.inference import InferenceConfig
from .config import TrainConfig, load_config
from .loop import Trainer, seed_everything
from .stage1 import FrameAdapter, build_stage1
from .stage2 import Generated, Stage2Task

Metrics = Callable[[list[Generated]], dict[str, float]]


def _path(base: Path, value: str) -> str:
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def unique_generated(generated: Sequence[Generated]) -> list[Generated]:
    """Each clip once (overlapping sequences generate some clips twice; the first is kept)."""
    seen: dict[tuple[str, float, float], Generated] = {}
    for g in generated:
        seen.setdefault((g.film, g.start, g.end), g)
    return list(seen.values())


def build_stage2_task(config: TrainConfig, base: Path, dim: int, scene_dim: int | None) -> Stage2Task:
    """The AD model of ``config.model`` (vision_dim / scene_dim default to the data's sizes)."""
    section = config.model
    adapter = FrameAdapter.from_pretrained(_path(base, section.stage1)) if section.stage1 else None
    if adapter is not None:
        dim = adapter.config["output_dim"]
    overrides: dict[str, Any] = dict(section.overrides)
    if overrides.get("lm_path"):
        overrides["lm_path"] = _path(base, overrides["lm_path"])
    if section.init:
        model = ADModel.from_pretrained(_path(base, section.init), lm_path=overrides.get("lm_path"))
    else:
        overrides.setdefault("vision_dim", dim)
        if scene_dim is not None and scene_dim != overrides["vision_dim"]:
            overrides.setdefault("scene_dim", scene_dim)
        model = create_model(section.name, overrides)
    collator = SequenceCollator(model.tokenizer, model.config.resampler.max_frames, config.previous_ads,
                                config.use_cast, distinct=model.config.dist_weight > 0,
                                words_per_second=config.words_per_second)
    inference = InferenceConfig(config.data.sequence_length, config.previous_ads, config.words_per_second)
    return Stage2Task(model, collator, adapter, inference)


def _validation_batches(config: TrainConfig, base: Path, collate) -> list[Any]:
    if not config.validation.enabled:
        return []
    split: DataConfig = config.validation
    dataset = build_dataset(split, base)
    batches = []
    for i in range(0, len(dataset), config.batch_size):
        batches.append(collate([dataset[j] for j in range(i, min(i + config.batch_size, len(dataset)))]))
        if config.validation_batches and len(batches) >= config.validation_batches:
            break
    return batches


def build_trainer(config: TrainConfig, base: str | Path = ".", metrics: Metrics | None = None) -> Trainer:
    """Everything a run needs, built from ``config`` (seeded, so model initialisation repeats)."""
    base = Path(base)
    seed_everything(config.seed)
    dataset = build_dataset(config.data, base)
    if config.stage == "stage1":
        task = build_stage1(config.stage1, dataset.dim, max_frames=64)
        return Trainer(config, task, dataset, _validation_batches(config, base, task.collate))
    first = dataset[0].clips[0]
    task = build_stage2_task(config, base, dataset.dim, None if first.scene is None else first.scene.shape[1])
    validate = None
    if metrics is not None:
        def validate(t: Stage2Task, batches: list[Any]) -> dict[str, float]:
            return metrics(unique_generated(t.generate(batches)))
    return Trainer(config, task, dataset, _validation_batches(config, base, task.collate), validate)


def train_from_config(path: str | Path, overrides: dict[str, Any] | None = None,
                      metrics: Metrics | None = None) -> dict[str, Any]:
    """Load, build and run; returns the run summary (also written to ``summary.json``)."""
    config, base = load_config(path, overrides)
    if not Path(config.output_dir).is_absolute():
        config.output_dir = str((base / config.output_dir).resolve())
    return build_trainer(config, base, metrics).run()
