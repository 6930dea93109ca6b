"""The training config: one YAML file, validated into nested dataclasses.

Example (every key is optional except ``data``; unknown keys are an error naming the key)::

    stage: stage2                 # stage1 = CLIP-AD adaptation, stage2 = AD model
    output_dir: runs/baseline     # checkpoints, log.jsonl, loss.png, config.json
    seed: 0
    model: {name: prefix-baseline, overrides: {vision_dim: 384, lm_path: ...}, init: "", stage1: ""}
    data: {source: text, corpus: tvad_train.csv, sequence_length: 8}
    validation: {source: text, annotations: tvad_eval.csv}
    optim: {lr: 1.0e-4, weight_decay: 0.01, betas: [0.9, 0.999]}
    schedule: {steps: 1000, warmup_steps: 50, min_lr_ratio: 0.0}
    batch_size: 8
    grad_accum: 1
    clip_norm: 1.0
    checkpoint_every: 100

Relative paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.config import DataConfig
from ..defaults import WORDS_PER_SECOND
from ..errors import InputError
from ..models.config import config_from_dict

STAGES = ("stage1", "stage2")


@dataclass
class ModelSection:
    """``name``: a registered model (stage 2); ``overrides``: dotted config overrides;
    ``init``: a saved model folder to start from; ``stage1``: a Stage-I adapter folder whose
    mapping is applied to the frame features before the model (stage 2)."""

    name: str = "prefix-baseline"
    overrides: dict[str, Any] = field(default_factory=dict)
    init: str = ""
    stage1: str = ""


@dataclass
class OptimSection:
    """AdamW."""

    lr: float = 1e-4
    weight_decay: float = 0.01
    betas: tuple[float, ...] = (0.9, 0.999)
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.weight_decay < 0 or len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError("lr must be > 0, weight_decay >= 0 and betas two numbers in [0, 1)")


@dataclass
class ScheduleSection:
    """Linear warm-up over ``warmup_steps`` optimizer steps, then cosine decay to
    ``min_lr_ratio * lr`` at ``steps``."""

    steps: int = 1000
    warmup_steps: int = 0
    min_lr_ratio: float = 0.0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.warmup_steps < 0 or not 0 <= self.min_lr_ratio <= 1:
            raise ValueError("steps must be >= 1, warmup_steps >= 0 and min_lr_ratio in [0, 1]")

    def factor(self, step: int) -> float:
        """Learning-rate multiplier for optimizer step ``step`` (0-based)."""
        if step < self.warmup_steps:
            return (step + 1) / (self.warmup_steps + 1)
        span = max(1, self.steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        return self.min_lr_ratio + (1 - self.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass
class Stage1Section:
    """Stage-I loss L_I = gamma L_g + (1 - gamma) L_f; ``hidden``: the adapter MLP width."""

    gamma: float = 0.5
    tau: float = 0.1
    logit_scale: float = 1 / 0.07
    hidden: int = 512
    text_encoder: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.gamma <= 1 or self.tau <= 0 or self.logit_scale <= 0 or self.hidden < 1:
            raise ValueError("gamma must be in [0, 1], tau, logit_scale and hidden positive")


@dataclass
class TrainConfig:
    """One training run.  ``validation``: an optional held-out split (loss, and metrics when the
    caller injects them) every ``validate_every`` steps and at the end, on at most
    ``validation_batches`` batches (0 = all); ``mixed_precision`` / ``gradient_checkpointing``
    apply on CUDA only; ``previous_ads`` / ``use_cast`` shape the prompts; ``words_per_second``
    sets the word budget of each generated AD from its interval."""

    stage: str = "stage2"
    output_dir: str = "out/train"
    seed: int = 0
    model: ModelSection = field(default_factory=ModelSection)
    data: DataConfig = field(default_factory=DataConfig)
    validation: DataConfig = field(default_factory=DataConfig)
    optim: OptimSection = field(default_factory=OptimSection)
    schedule: ScheduleSection = field(default_factory=ScheduleSection)
    stage1: Stage1Section = field(default_factory=Stage1Section)
    batch_size: int = 8
    grad_accum: int = 1
    clip_norm: float = 1.0
    mixed_precision: bool = True
    gradient_checkpointing: bool = True
    checkpoint_every: int = 100
    keep_checkpoints: int = 2
    log_every: int = 1
    validate_every: int = 0
    validation_batches: int = 0
    previous_ads: int = 0
    use_cast: bool = True
    words_per_second: float = WORDS_PER_SECOND
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}, got '{self.stage}'")
        if min(self.batch_size, self.grad_accum, self.checkpoint_every, self.log_every, self.keep_checkpoints) < 1:
            raise ValueError("batch_size, grad_accum, checkpoint_every, log_every and keep_checkpoints must be >= 1")
        if self.words_per_second <= 0:
            raise ValueError("words_per_second must be positive")
        if self.clip_norm < 0 or self.validate_every < 0 or self.validation_batches < 0 or self.previous_ads < 0:
            raise ValueError("clip_norm, validate_every, validation_batches and previous_ads must be >= 0")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be auto, cpu or cuda, got '{self.device}'")


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> tuple[TrainConfig, Path]:
    """Read and validate a YAML config; returns it and the folder its relative paths are under."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such config file; give a YAML training config")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{path}: {where}not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    if raw is None:
        raw = {}
    for dotted, value in (overrides or {}).items():
        node = raw
        head, sep, model_key = dotted.partition("model.overrides.")
        # model overrides keep their dotted keys (``ema.enabled``), as the model registry reads them
        *parents, last = (["model", "overrides", model_key] if sep and not head else dotted.split("."))
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise InputError(f"override {dotted}: '{key}' is not a section")
        node[last] = value
    return config_from_dict(TrainConfig, raw, str(path)), path.parent
