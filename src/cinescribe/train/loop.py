"""The training loop shared by Stage I and Stage II.

AdamW (weight decay on matrices only), linear warm-up then cosine decay per optimizer step,
``grad_accum`` micro-batches per step, gradient-norm clipping, and -- on CUDA only -- mixed
precision (bfloat16 autocast, or float16 with a gradient scaler) and gradient checkpointing of
the language model.  The data order is a pure function of ``(seed, micro-batch number)``: each
epoch is a seeded permutation of the sequences.  So a run stopped after any checkpoint and
resumed from it continues exactly as if it had not stopped: a checkpoint holds the trainable
weights, the optimizer, the scheduler, the RNG states and the step.

Output folder::

    config.json             the resolved config, versions (cinescribe, torch) and the start time
    log.jsonl               one line per logged step ({"step", "loss", ..., "lr", "grad_norm"})
                            and per validation ({"step", "split": "validation", ...})
    loss.png                the loss curve (rewritten at every checkpoint)
    checkpoints/step-XXXXXXXX/{training_state.pt, model/}   the last ``keep_checkpoints``
    checkpoints/latest      name of the newest complete checkpoint
    model/                  the final model (``save_pretrained``)
    summary.json            steps, final losses, last validation, wall time
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import time
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
import torch

from .. import __version__
from ..atomic import write_json, write_text
from ..errors import InputError
from ..progress import progress_bar
from .config import TrainConfig
from .plots import plot_losses

log = logging.getLogger("cinescribe.train")

STATE_NAME = "training_state.pt"
# Config parts that must not change when a run is resumed (the data order and model depend on them).
FIXED_ON_RESUME = ("stage", "seed", "model", "data", "batch_size", "grad_accum")


class Task(Protocol):
    module: torch.nn.Module
    collate: Callable[[list[Any]], Any]

    def loss(self, batch: Any) -> dict[str, torch.Tensor]: ...

    def state_dict(self) -> dict[str, torch.Tensor]: ...

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None: ...

    def save(self, folder: Path) -> Path: ...


Validate = Callable[[Task, list[Any]], dict[str, float]]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """Python, NumPy and torch RNG states as plain lists and tensors (loadable with weights_only)."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"python": [version, list(internal), gauss], "numpy": [name, torch.from_numpy(keys.astype(np.int64)),
                                                                  int(pos), int(has_gauss), float(cached)],
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def batch_indices(size: int, batch_size: int, seed: int, micro: int) -> list[int]:
    """Dataset indices of micro-batch number ``micro``: epoch ``e`` is a permutation seeded by
    ``(seed, e)`` cut into ``size // batch_size`` batches (a last partial batch is dropped;
    a dataset smaller than a batch is one batch)."""
    per_epoch = max(1, size // batch_size)
    epoch, k = divmod(micro, per_epoch)
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(size, generator=generator).tolist()
    return order[k * batch_size:(k + 1) * batch_size]


def parameter_groups(module: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Trainable parameters: matrices with weight decay, biases / norms / 1-d without."""
    decay, no_decay = [], []
    for p in module.parameters():
        if p.requires_grad:
            (decay if p.dim() >= 2 else no_decay).append(p)
    if not decay and not no_decay:
        raise InputError("the model has no trainable parameters; check freeze_lm / lora in the model config")
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


class Trainer:
    """Runs ``task`` on ``dataset`` as ``config`` says; ``validate(task, batches)`` (optional) is
    called every ``validate_every`` steps and at the end on the validation batches."""

    def __init__(self, config: TrainConfig, task: Task, dataset, validation: list[Any] | None = None,
                 validate: Validate | None = None):
        self.config, self.task, self.dataset = config, task, dataset
        self.validation, self.validate = validation or [], validate
        self.out = Path(config.output_dir)
        self.device = torch.device("cuda" if config.device == "cuda" or (
            config.device == "auto" and torch.cuda.is_available()) else "cpu")
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise InputError("device is cuda but no CUDA GPU is available; set device: auto or cpu")
        task.module.to(self.device)
        self.optimizer = torch.optim.AdamW(parameter_groups(task.module, config.optim.weight_decay),
                                           lr=config.optim.lr, betas=tuple(config.optim.betas), eps=config.optim.eps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, config.schedule.factor)
        cuda = self.device.type == "cuda"
        self.amp_dtype = None
        if cuda and config.mixed_precision:
            self.amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        if cuda and config.gradient_checkpointing:
            lm = getattr(getattr(task.module, "decoder", None), "lm", None)
            if lm is not None and getattr(lm, "supports_gradient_checkpointing", False):
                lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        self.step = 0

    # -- checkpoints ---------------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        return self.out / "checkpoints"

    def latest_checkpoint(self) -> Path | None:
        pointer = self.checkpoint_dir / "latest"
        if not pointer.is_file():
            return None
        folder = self.checkpoint_dir / pointer.read_text(encoding="utf-8").strip()
        return folder if (folder / STATE_NAME).is_file() else None

    def save_checkpoint(self) -> Path:
        """Write ``checkpoints/step-N`` (to a temporary folder, renamed when complete)."""
        name = f"step-{self.step:08d}"
        final = self.checkpoint_dir / name
        tmp = self.checkpoint_dir / f".{name}.part"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        state = {"step": self.step, "model": self.task.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(), "rng": rng_state()}
        torch.save(state, tmp / STATE_NAME)
        self.task.save(tmp / "model")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        write_text(self.checkpoint_dir / "latest", name + "\n")
        for old in sorted(self.checkpoint_dir.glob("step-*"))[:-self.config.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def load_checkpoint(self, folder: Path) -> None:
        try:
            state = torch.load(folder / STATE_NAME, map_location=self.device, weights_only=True)
            self.task.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            self.scaler.load_state_dict(state["scaler"])
        except (RuntimeError, KeyError, ValueError, EOFError) as exc:
            raise InputError(f"checkpoint {folder} cannot be resumed ({str(exc).splitlines()[0]}); "
                             "delete it or use a new output_dir") from None
        set_rng_state(state["rng"])
        self.step = int(state["step"])

    # -- the run ---------------------------------------------------------------------------
    def _check_resume_config(self) -> None:
        path = self.out / "config.json"
        if not path.is_file():
            return
        saved = json.loads(path.read_text(encoding="utf-8")).get("config", {})
        now = asdict(self.config)
        changed = [k for k in FIXED_ON_RESUME if json.dumps(saved.get(k), sort_keys=True, default=list)
                   != json.dumps(now[k], sort_keys=True, default=list)]
        if changed:
            raise InputError(f"{self.out} holds a run with a different {changed[0]} setting; "
                             "resume with the same config or give a new output_dir")

    def _write_config(self) -> None:
        write_json(self.out / "config.json", {"config": asdict(self.config), "cinescribe": __version__,
                                              "torch": torch.__version__, "device": str(self.device),
                                              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def _trim_log(self) -> None:
        """Drop log lines past the resumed step (they belong to the part of the run being redone)."""
        path = self.out / "log.jsonl"
        if path.is_file():
            keep = [line for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip() and json.loads(line).get("step", 0) <= self.step]
            write_text(path, "".join(line + "\n" for line in keep))

    def _log(self, record: dict[str, Any]) -> None:
        with (self.out / "log.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    def _micro_batch(self, micro: int):
        idx = batch_indices(len(self.dataset), self.config.batch_size, self.config.seed, micro)
        return self.task.collate([self.dataset[i] for i in idx]).to(self.device)

    def _autocast(self):
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast("cuda", dtype=self.amp_dtype)

    def train_step(self) -> dict[str, float]:
        """One optimizer step over ``grad_accum`` micro-batches; returns the logged values."""
        cfg = self.config
        self.task.module.train()
        totals: dict[str, float] = {}
        for a in range(cfg.grad_accum):
            batch = self._micro_batch(self.step * cfg.grad_accum + a)
            with self._autocast():
                losses = self.task.loss(batch)
            self.scaler.scale(losses["loss"] / cfg.grad_accum).backward()
            for k, v in losses.items():
                totals[k] = totals.get(k, 0.0) + float(v.detach()) / cfg.grad_accum
        self.scaler.unscale_(self.optimizer)
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        norm = torch.nn.utils.clip_grad_norm_(params, cfg.clip_norm if cfg.clip_norm > 0 else math.inf)
        lr = self.optimizer.param_groups[0]["lr"]
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        if not all(math.isfinite(v) for v in totals.values()):
            raise InputError(f"the loss became {totals['loss']} at step {self.step}; lower optim.lr")
        return {**totals, "lr": lr, "grad_norm": float(norm)}

    def run_validation(self) -> dict[str, float]:
        """Validation loss over the validation batches, plus ``validate``'s metrics."""
        if not self.validation:
            return {}
        self.task.module.eval()
        totals: dict[str, float] = {}
        with torch.no_grad(), self._autocast():
            for batch in self.validation:
                for k, v in self.task.loss(batch.to(self.device)).items():
                    totals[f"val_{k}"] = totals.get(f"val_{k}", 0.0) + float(v) / len(self.validation)
        if self.validate is not None:
            totals.update(self.validate(self.task, self.validation))
        self.task.module.train()
        self._log({"step": self.step, "split": "validation", **totals})
        return totals

    def run(self, stop_after: int | None = None) -> dict[str, Any]:
        """Train to ``schedule.steps`` (resuming from the newest checkpoint in ``output_dir``);
        ``stop_after`` ends the run early after that step (its checkpoint written), as if killed."""
        cfg = self.config
        self.out.mkdir(parents=True, exist_ok=True)
        self._check_resume_config()
        seed_everything(cfg.seed)
        latest = self.latest_checkpoint()
        if latest is not None:
            self.load_checkpoint(latest)
            log.info(f"resuming {self.out} from step {self.step}")
        self._trim_log()
        self._write_config()
        started = time.monotonic()
        last: dict[str, float] = {}
        validation: dict[str, float] = {}
        end = cfg.schedule.steps if stop_after is None else min(stop_after, cfg.schedule.steps)
        with progress_bar(f"Training {cfg.stage}", total=cfg.schedule.steps) as bar:
            bar.update(self.step)
            while self.step < end:
                last = self.train_step()
                if self.step % cfg.log_every == 0 or self.step == end:
                    self._log({"step": self.step, **last})
                if cfg.validate_every and self.step % cfg.validate_every == 0 and self.step < cfg.schedule.steps:
                    validation = self.run_validation()
                if self.step % cfg.checkpoint_every == 0 or self.step == end:
                    self.save_checkpoint()
                    plot_losses(self.out / "log.jsonl", self.out / "loss.png")
                bar.update(self.step)
        if self.step >= cfg.schedule.steps:
            validation = self.run_validation() or validation
            self.task.save(self.out / "model")
            plot_losses(self.out / "log.jsonl", self.out / "loss.png")
        summary = {"step": self.step, "steps": cfg.schedule.steps, "last": last, "validation": validation,
                   "seconds": round(time.monotonic() - started, 2), "complete": self.step >= cfg.schedule.steps}
        write_json(self.out / "summary.json", summary)
        return summary

