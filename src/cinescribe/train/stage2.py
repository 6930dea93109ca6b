"""Stage-II AD training: the AD model (:class:`cinescribe.models.ADModel`) on clip sequences.

The loss is the model's L_II = L_auto + dist_weight * L_dist (DistinctAD eqs. 11-12).  When a
Stage-I adapter is given, frame features pass through it (frozen) before the model.
Generation for validation uses the same batches: one AD per clip, with the clip's word budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import torch

from ..data.collate import Batch, SequenceCollator
from ..models import ADModel
from ..models.inference import InferenceConfig
from .stage1 import FrameAdapter


@dataclass
class Generated:
    """One generated AD next to its reference."""

    film: str
    start: float
    end: float
    text: str
    reference: str


class Stage2Task:
    """``module`` is the AD model; ``adapter`` an optional frozen Stage-I :class:`FrameAdapter`."""

    def __init__(self, model: ADModel, collator: SequenceCollator, adapter: FrameAdapter | None = None,
                 inference: InferenceConfig | None = None):
        self.module, self.collate, self.adapter, self.inference = model, collator, adapter, inference
        if adapter is not None:
            adapter.requires_grad_(False).eval()

    def inputs(self, batch: Batch) -> dict[str, torch.Tensor]:
        inputs = dict(batch.inputs)
        if self.adapter is not None:
            with torch.no_grad():
                inputs["frames"] = self.adapter.to(inputs["frames"].device)(inputs["frames"])
        return inputs

    def loss(self, batch: Batch) -> dict[str, torch.Tensor]:
        out = self.module(**self.inputs(batch))
        return {"loss": out.loss, "loss_auto": out.loss_auto, "loss_dist": out.loss_dist}

    def _kept(self) -> set[str]:
        """State keys that a checkpoint keeps: everything but a frozen LM's own weights."""
        trainable = {n for n, p in self.module.named_parameters() if p.requires_grad}
        return {k for k in self.module.state_dict() if not k.startswith("decoder.lm.") or k in trainable}

    def state_dict(self) -> dict[str, torch.Tensor]:
        kept = self._kept()
        return {k: v for k, v in self.module.state_dict().items() if k in kept}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        missing = self._kept() - set(state)
        if missing:
            raise KeyError(f"checkpoint lacks {sorted(missing)[:3]}")
        self.module.load_state_dict(state, strict=False)

    def save(self, folder: Path) -> Path:
        """The model and, beside it, what inference needs (:mod:`~cinescribe.models.inference`)."""
        self.module.save_pretrained(folder)
        if self.inference is not None:
            self.inference.save(folder)
        return Path(folder)

    @torch.no_grad()
    def generate(self, batches: Iterable[Batch]) -> list[Generated]:
        """One AD per valid clip of every batch (model in eval mode), in batch order."""
        model = self.module
        was_training = model.training
        model.eval()
        out: list[Generated] = []
        try:
            for batch in batches:
                x = self.inputs(batch)
                gen = model.generate(x["frames"], x["prompt_ids"], x["prompt_mask"], batch.word_budgets,
                                     previous_ads=batch.previous_ads, cast=batch.cast, frame_mask=x["frame_mask"],
                                     scene=x.get("scene"), scene_mask=x.get("scene_mask"), clip_mask=x["clip_mask"])
                for i, row in enumerate(batch.texts):
                    for j, ref in enumerate(row):
                        out.append(Generated(batch.films[i], batch.starts[i][j], batch.ends[i][j],
                                             gen.texts[i][j], ref))
        finally:
            model.train(was_training)
        return out
