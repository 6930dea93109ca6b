"""The AD model: N consecutive clips -> one AD per clip.

    frames (B, N, T, D) ─► resampler (Perceiver | Q-Former) ─► (B, N, T', C)
    scene  (B, N, S, Ds) ─► [dual-vision gate]              ─► (B, N, T', C), gate (B, N)
                            [Contextual EMA over the N clips] ─► (B, N, T', C)
                            projector (Linear C -> H)        ─► prefix (B, N, T', H)
    prefix + prompt tokens ─► causal LM ─► L_auto + dist_weight * L_dist  |  generated ADs

Each mechanism is a config switch (``resampler.kind``, ``dual_vision``, ``ema.enabled``,
``ema.alpha``/``ema.beta``, ``dist_weight``, ``lora.enabled``) so ablations are config flags.
Padded clips (``clip_mask`` False) never reach the LM and never count in a loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from ..errors import InputError
from .checkpoint import load_checkpoint, save_checkpoint
from .config import config_from_dict, config_to_dict
from .contextual_ema import ContextualEMA, ContextualEMAConfig
from .decoder import LoRASettings, PrefixLMDecoder, load_causal_lm
from .dual_vision import DualVisionGate
from .generation import GenerationSettings, PreviousWordsPenalty, penalised_token_ids
from .losses import autoregressive_losses
from .resampler import ResamplerConfig, build_resampler
from .text import max_new_tokens_for

CHECKPOINT_KIND = "cinescribe-ad-model"


@dataclass
class ADModelConfig:
    """``vision_dim`` = D of frame features, ``scene_dim`` = D of scene features (0 = same)."""

    vision_dim: int = 512
    scene_dim: int = 0
    resampler: ResamplerConfig = field(default_factory=ResamplerConfig)
    dual_vision: bool = False
    ema: ContextualEMAConfig = field(default_factory=lambda: ContextualEMAConfig(enabled=False))
    dist_weight: float = 1.0
    lm_path: str = ""
    freeze_lm: bool = True
    lora: LoRASettings = field(default_factory=LoRASettings)
    generation: GenerationSettings = field(default_factory=GenerationSettings)


@dataclass
class ADOutput:
    """``loss`` = L_auto + dist_weight * L_dist; ``gate`` (B, N) or None; ``token_logp`` (M, Lt)."""

    loss: torch.Tensor
    loss_auto: torch.Tensor
    loss_dist: torch.Tensor
    gate: torch.Tensor | None
    token_logp: torch.Tensor


@dataclass
class ADGeneration:
    """``texts[b][n]`` ("" for padded clips) and the dual-vision ``gate`` (B, N) or None."""

    texts: list[list[str]]
    gate: torch.Tensor | None


class ADModel(nn.Module):
    """frames (B, N, T, vision_dim), frame_mask (B, N, T), scene (B, N, S, scene_dim),
    scene_mask (B, N, S), clip_mask (B, N) -> :class:`ADOutput` (``forward``) or
    :class:`ADGeneration` (``generate``).  Masks are bool, True = valid; all are optional."""

    def __init__(self, config: ADModelConfig, lm: nn.Module | None = None, tokenizer=None):
        super().__init__()
        self.config = config
        if lm is None:
            if not config.lm_path:
                raise InputError("the AD model needs a language model: set lm_path to a local HuggingFace folder")
            lm, tokenizer = load_causal_lm(config.lm_path)
        c = config.resampler.dim
        self.resampler = build_resampler(config.vision_dim, config.resampler)
        self.gate = DualVisionGate(config.scene_dim or config.vision_dim, c) if config.dual_vision else None
        self.ema = ContextualEMA(c, config.ema) if config.ema.enabled else None
        self.decoder = PrefixLMDecoder(lm, tokenizer, freeze=config.freeze_lm, lora=config.lora)
        self.projector = nn.Linear(c, self.decoder.hidden_size)

    @property
    def tokenizer(self):
        return self.decoder.tokenizer

    def encode_visual(self, frames: torch.Tensor, frame_mask: torch.Tensor | None = None,
                      scene: torch.Tensor | None = None, scene_mask: torch.Tensor | None = None,
                      clip_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """frames (B, N, T, D) [+ scene (B, N, S, Ds)] -> prefix (B, N, T', H), gate (B, N) | None."""
        if frames.dim() != 4 or frames.shape[-1] != self.config.vision_dim:
            raise ValueError(f"frames must be (batch, clips, frames, {self.config.vision_dim}), "
                             f"got {tuple(frames.shape)}")
        b, n, t, d = frames.shape
        tokens = self.resampler(frames.reshape(b * n, t, d),
                                None if frame_mask is None else frame_mask.reshape(b * n, t))  # (BN, T', C)
        gate = None
        if self.gate is not None:
            if scene is None:
                raise ValueError("dual_vision is on: scene features (batch, clips, S, scene_dim) are required")
            s = scene.shape[2]
            tokens, gate = self.gate(tokens, scene.reshape(b * n, s, -1),
                                     None if scene_mask is None else scene_mask.reshape(b * n, s))
            gate = gate.reshape(b, n)
        tokens = tokens.reshape(b, n, *tokens.shape[1:])  # (B, N, T', C)
        if self.ema is not None:
            tokens = self.ema(tokens, clip_mask)["out"]
        return self.projector(tokens), gate  # eq. 10: Proj(H + alpha H^ + beta H~)

    def forward(self, frames: torch.Tensor, prompt_ids: torch.Tensor, prompt_mask: torch.Tensor,
                target_ids: torch.Tensor, target_mask: torch.Tensor, distinct_mask: torch.Tensor | None = None,
                frame_mask: torch.Tensor | None = None, scene: torch.Tensor | None = None,
                scene_mask: torch.Tensor | None = None, clip_mask: torch.Tensor | None = None) -> ADOutput:
        """Text tensors are (B, N, L) from :func:`cinescribe.models.text.encode_prompts` /
        ``encode_targets``; returns the Stage-II loss L_II = L_auto + dist_weight * L_dist."""
        prefix, gate = self.encode_visual(frames, frame_mask, scene, scene_mask, clip_mask)
        keep = _clip_mask(clip_mask, prefix).reshape(-1)  # (B*N,)

        def flat(x: torch.Tensor) -> torch.Tensor:  # (B, N, L) -> (M, L), valid clips only
            return x.reshape(-1, x.shape[-1])[keep]

        logp = self.decoder.token_logprobs(prefix.reshape(-1, *prefix.shape[2:])[keep], flat(prompt_ids),
                                           flat(prompt_mask), flat(target_ids), flat(target_mask))
        auto, dist = autoregressive_losses(logp, flat(target_mask),
                                           None if distinct_mask is None else flat(distinct_mask))
        return ADOutput(auto + self.config.dist_weight * dist, auto, dist, gate, logp)

    @torch.no_grad()
    def generate(self, frames: torch.Tensor, prompt_ids: torch.Tensor, prompt_mask: torch.Tensor,
                 word_budgets: Sequence[Sequence[float]], previous_ads: Sequence[Sequence[Sequence[str]]] | None = None,
                 cast: Sequence[Sequence[str]] | None = None, settings: GenerationSettings | None = None,
                 frame_mask: torch.Tensor | None = None, scene: torch.Tensor | None = None,
                 scene_mask: torch.Tensor | None = None, clip_mask: torch.Tensor | None = None,
                 write_mask: torch.Tensor | None = None) -> ADGeneration:
        """One AD per valid clip, or only per clip of ``write_mask`` (B, N) (the others still
        shape the context, e.g. Contextual EMA's bases).  ``word_budgets[b][n]`` words -> max_new_tokens (see
        :func:`max_new_tokens_for`); words of ``previous_ads[b][n]`` are penalised (except
        ``cast[b]`` names and stop-words) by ``settings.previous_word_penalty``."""
        settings = settings or self.config.generation
        prefix, gate = self.encode_visual(frames, frame_mask, scene, scene_mask, clip_mask)
        b, n = prefix.shape[:2]
        keep = _clip_mask(clip_mask, prefix)
        if write_mask is not None:
            keep = keep & write_mask.bool()
        index = [(i, j) for i in range(b) for j in range(n) if keep[i, j]]
        budgets = [max_new_tokens_for(word_budgets[i][j], settings.tokens_per_word) for i, j in index]
        processors = []
        if previous_ads is not None and settings.previous_word_penalty > 0:
            ids = [penalised_token_ids(self.tokenizer, previous_ads[i][j], cast[i] if cast else ()) for i, j in index]
            beams = settings.num_beams if settings.strategy == "beam" else 1
            processors.append(PreviousWordsPenalty(ids, settings.previous_word_penalty, beams))
        flat = keep.reshape(-1)
        out = self.decoder.generate(prefix.reshape(-1, *prefix.shape[2:])[flat],
                                    prompt_ids.reshape(b * n, -1)[flat], prompt_mask.reshape(b * n, -1)[flat],
                                    budgets, settings, processors)
        texts = [["" for _ in range(n)] for _ in range(b)]
        for (i, j), ids in zip(index, out):
            texts[i][j] = self.tokenizer.decode(ids, skip_special_tokens=True).strip()
        return ADGeneration(texts, gate)

    def _saved_keys(self) -> list[str]:
        lm_trained = not self.config.freeze_lm and not self.config.lora.enabled
        return [k for k in self.state_dict() if not k.startswith("decoder.lm.") or lm_trained or "lora_" in k]

    def save_pretrained(self, directory: str | Path) -> Path:
        """``config.json`` + ``model.safetensors`` (the LM itself only if it was fully trained;
        a frozen LM is referenced by ``lm_path``, LoRA adapters are saved)."""
        state = self.state_dict()
        return save_checkpoint(directory, CHECKPOINT_KIND, config_to_dict(self.config),
                               {k: state[k] for k in self._saved_keys()})

    @classmethod
    def from_pretrained(cls, directory: str | Path, lm_path: str | None = None) -> "ADModel":
        """Rebuild a model saved by :meth:`save_pretrained`; ``lm_path`` overrides the saved one."""
        raw, state = load_checkpoint(directory, CHECKPOINT_KIND)
        config = config_from_dict(ADModelConfig, raw, "AD model config")
        if lm_path is not None:
            config.lm_path = str(lm_path)
        model = cls(config)
        expected = set(model._saved_keys())
        if set(state) != expected:
            missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
            raise InputError(f"checkpoint {directory} does not match its config "
                             f"(missing {missing[:3]}, extra {extra[:3]}); save it again with this version")
        try:
            model.load_state_dict(state, strict=False)
        except RuntimeError as exc:
            raise InputError(f"checkpoint {directory} does not fit its config: {str(exc).splitlines()[0]}") from None
        return model


def _clip_mask(clip_mask: torch.Tensor | None, prefix: torch.Tensor) -> torch.Tensor:
    if clip_mask is None:
        return torch.ones(prefix.shape[:2], dtype=torch.bool, device=prefix.device)
    return clip_mask.bool()
