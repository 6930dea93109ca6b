"""models stage: the seed AD architectures and the stream classifier as torch modules.

Build a model by name with :func:`create_model` (names: :func:`list_models`); every model has
a config dataclass next to it and round-trips through ``save_pretrained`` / ``from_pretrained``.
"""

from .ad_model import ADGeneration, ADModel, ADModelConfig, ADOutput
from .contextual_ema import ContextualEMA, ContextualEMAConfig
from .decoder import LoRASettings, PrefixLMDecoder, load_causal_lm
from .dual_vision import DualVisionGate
from .generation import GenerationSettings, PreviousWordsPenalty, penalised_token_ids
from .gru_fusion import StreamEncoder, StreamFusionConfig, StreamFusionModel
from .registry import create_model, get_config, list_models
from .resampler import PerceiverResampler, ResamplerConfig, VideoQFormer, build_resampler
from .text import build_prompt, distinctive_words, encode_prompts, encode_targets, max_new_tokens_for

__all__ = [
    "ADGeneration", "ADModel", "ADModelConfig", "ADOutput", "ContextualEMA", "ContextualEMAConfig",
    "DualVisionGate", "GenerationSettings", "LoRASettings", "PerceiverResampler", "PrefixLMDecoder",
    "PreviousWordsPenalty", "ResamplerConfig", "StreamEncoder", "StreamFusionConfig", "StreamFusionModel",
    "VideoQFormer", "build_prompt", "build_resampler", "create_model", "distinctive_words",
    "encode_prompts", "encode_targets", "get_config", "list_models", "load_causal_lm",
    "max_new_tokens_for", "penalised_token_ids",
]
