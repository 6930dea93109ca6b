"""Named model configs and the factory that builds a model by name (open_clip style).

AD models (all read CLIP-B/32-sized 512-d frame features by default):

* ``prefix-baseline`` - Perceiver + projector + frozen LM (DistinctAD Table 5, A0).
* ``distinctad``      - Perceiver + Contextual EMA (K=32, alpha=3, beta=1) + L_dist (C3).
* ``dante-ad``        - video Q-Former + dual-vision (frame/scene) gate.
* ``cinescribe-ad``   - Q-Former + dual-vision gate + Contextual EMA + L_dist (the DESIGN flow).

Stream classifiers (cross-attentive GRUs): ``violence-3stream`` (binary, multi-class head),
``valence-arousal`` (2 bounded outputs).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..errors import InputError
from .ad_model import ADModel, ADModelConfig
from .config import apply_overrides
from .contextual_ema import ContextualEMAConfig
from .gru_fusion import StreamFusionConfig, StreamFusionModel
from .resampler import ResamplerConfig

_AD_CONFIGS: dict[str, Callable[[], ADModelConfig]] = {
    "prefix-baseline": lambda: ADModelConfig(dist_weight=0.0),
    "distinctad": lambda: ADModelConfig(ema=ContextualEMAConfig(enabled=True)),
    "dante-ad": lambda: ADModelConfig(resampler=ResamplerConfig(kind="qformer", num_latents=32),
                                      dual_vision=True, dist_weight=0.0),
    "cinescribe-ad": lambda: ADModelConfig(resampler=ResamplerConfig(kind="qformer", num_latents=32),
                                           dual_vision=True, ema=ContextualEMAConfig(enabled=True)),
}
_STREAMS = {"video": 768, "image": 512, "text": 384}
_FUSION_CONFIGS: dict[str, Callable[[], StreamFusionConfig]] = {
    "violence-3stream": lambda: StreamFusionConfig(stream_dims=dict(_STREAMS), task="multiclass", num_outputs=2),
    "valence-arousal": lambda: StreamFusionConfig(stream_dims=dict(_STREAMS), task="regression", num_outputs=2),
}


def list_models() -> list[str]:
    """All registered names, AD models first."""
    return sorted(_AD_CONFIGS) + sorted(_FUSION_CONFIGS)


def get_config(name: str, overrides: Mapping[str, Any] | None = None):
    """The named config with dotted ``overrides`` applied, e.g. ``{"ema.alpha": 0.0}``."""
    table = _AD_CONFIGS if name in _AD_CONFIGS else _FUSION_CONFIGS if name in _FUSION_CONFIGS else None
    if table is None:
        raise InputError(f"unknown model '{name}'; choose one of: {', '.join(list_models())}")
    return apply_overrides(table[name](), overrides or {})


def create_model(name: str, overrides: Mapping[str, Any] | None = None, lm=None, tokenizer=None):
    """Build the named model.  AD models load their LM from ``lm_path`` (an override) unless an
    ``lm`` and ``tokenizer`` are given."""
    config = get_config(name, overrides)
    if isinstance(config, ADModelConfig):
        return ADModel(config, lm=lm, tokenizer=tokenizer)
    return StreamFusionModel(config)
