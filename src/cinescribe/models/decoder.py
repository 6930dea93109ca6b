"""Prefix language decoder: visual tokens are a prefix to a HuggingFace causal LM.

Training sequence of one clip (right-padded in the batch)::

    [visual prefix (P)] [prompt tokens] [target tokens ... EOS]

Generation uses the same layout without the target, left-padded, so that position ids
(from the attention mask) match training.  The LM is frozen by default; LoRA adapters
(peft) can be injected in place, after which only the adapters of the LM train.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from ..errors import InputError, MissingDependencyError
from .generation import GenerationSettings


@dataclass
class LoRASettings:
    """peft LoRA on the LM; ``target_modules`` empty = peft's default for the model type."""

    enabled: bool = False
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = field(default_factory=tuple)


def load_causal_lm(path: str | Path):
    """``(model, tokenizer)`` from a local HuggingFace folder; never downloads."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress shows; a bar per weight file is noise
    hf_logging.set_verbosity_error()  # e.g. generate's padding advice, which prefix inputs make moot
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file():
        raise MissingDependencyError(
            f"no language model at {folder}: give a local HuggingFace causal-LM folder "
            "(config.json, weights, tokenizer)")
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot load the language model at {folder}: {exc}") from None
    if not getattr(tokenizer, "is_fast", False):
        raise InputError(f"the tokenizer at {folder} is not a fast tokenizer; save it with tokenizer.json")
    if tokenizer.eos_token_id is None:
        raise InputError(f"the tokenizer at {folder} has no EOS token; set eos_token and save it again")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


class PrefixLMDecoder(nn.Module):
    """Wraps a causal LM and its tokenizer.

    prefix: (M, P, H) visual tokens in the LM's embedding space (H = ``hidden_size``),
    prompt_ids/prompt_mask: (M, Lp), target_ids/target_mask: (M, Lt).
    """

    def __init__(self, lm: nn.Module, tokenizer, freeze: bool = True, lora: LoRASettings | None = None):
        super().__init__()
        self.lm, self.tokenizer = lm, tokenizer
        if freeze or (lora is not None and lora.enabled):
            self.lm.requires_grad_(False)
        if lora is not None and lora.enabled:
            self._inject_lora(lora)

    @property
    def hidden_size(self) -> int:
        return self.lm.get_input_embeddings().embedding_dim

    def _inject_lora(self, lora: LoRASettings) -> None:
        try:
            from peft import LoraConfig, inject_adapter_in_model
            from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as DEFAULTS
        except ImportError:
            raise MissingDependencyError("LoRA needs the 'peft' package: pip install peft") from None
        targets = list(lora.target_modules) or DEFAULTS.get(self.lm.config.model_type)
        if not targets:
            raise InputError(f"no default LoRA target modules for '{self.lm.config.model_type}'; "
                             "set lora.target_modules")
        from transformers.pytorch_utils import Conv1D  # GPT-2 style layers store weights transposed

        transposed = any(isinstance(m, Conv1D) and name.split(".")[-1] in targets
                         for name, m in self.lm.named_modules())
        config = LoraConfig(r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=targets,
                            fan_in_fan_out=transposed)
        inject_adapter_in_model(config, self.lm)
        for name, param in self.lm.named_parameters():
            param.requires_grad_("lora_" in name)

    def _embed(self, ids: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        emb = self.lm.get_input_embeddings()(ids)  # (M, L, H)
        return [emb[i, mask[i]] for i in range(ids.shape[0])]

    def token_logprobs(self, prefix: torch.Tensor, prompt_ids: torch.Tensor, prompt_mask: torch.Tensor,
                       target_ids: torch.Tensor, target_mask: torch.Tensor) -> torch.Tensor:
        """log P(w_n | prefix, prompt, w_<n) of every target token -> (M, Lt) (0 where masked)."""
        prompts, targets = self._embed(prompt_ids, prompt_mask), self._embed(target_ids, target_mask)
        prefix = prefix.to(prompts[0].dtype) if prompts else prefix
        rows = [torch.cat([prefix[i], prompts[i], targets[i]]) for i in range(prefix.shape[0])]
        lengths = torch.tensor([len(r) for r in rows], device=prefix.device)
        embeds = pad_sequence(rows, batch_first=True)  # (M, Ltot, H)
        positions = torch.arange(embeds.shape[1], device=prefix.device)
        attention = (positions[None, :] < lengths[:, None]).long()
        logits = self.lm(inputs_embeds=embeds, attention_mask=attention,
                         position_ids=positions.expand(embeds.shape[0], -1)).logits  # (M, Ltot, V)
        start = prefix.shape[1] + prompt_mask.sum(1)  # first target position per row: (M,)
        steps = torch.arange(target_ids.shape[1], device=prefix.device)
        pos = (start[:, None] - 1 + steps).clamp(max=embeds.shape[1] - 1)  # logits that predict each target
        picked = logits[torch.arange(logits.shape[0], device=prefix.device)[:, None], pos]  # (M, Lt, V)
        logp = torch.log_softmax(picked.float(), dim=-1).gather(-1, target_ids.unsqueeze(-1)).squeeze(-1)
        return logp * target_mask

    @torch.no_grad()
    def generate(self, prefix: torch.Tensor, prompt_ids: torch.Tensor, prompt_mask: torch.Tensor,
                 max_new_tokens: Sequence[int], settings: GenerationSettings,
                 logits_processors: Sequence[object] = ()) -> list[list[int]]:
        """Token ids of each row's continuation (EOS removed), at most ``max_new_tokens[i]`` each."""
        from transformers import LogitsProcessorList

        prompts = self._embed(prompt_ids, prompt_mask)
        prefix = prefix.to(prompts[0].dtype) if prompts else prefix
        rows = [torch.cat([prefix[i], prompts[i]]) for i in range(prefix.shape[0])]
        width = max(len(r) for r in rows)
        embeds = prefix.new_zeros(len(rows), width, prefix.shape[-1])
        attention = torch.zeros(len(rows), width, dtype=torch.long, device=prefix.device)
        for i, row in enumerate(rows):
            embeds[i, width - len(row):] = row
            attention[i, width - len(row):] = 1
        eos, pad = self.tokenizer.eos_token_id, self.tokenizer.pad_token_id
        out = self.lm.generate(inputs_embeds=embeds, attention_mask=attention, max_new_tokens=max(max_new_tokens),
                               eos_token_id=eos, pad_token_id=pad,
                               logits_processor=LogitsProcessorList(logits_processors), **settings.generate_kwargs())
        result = []
        for i, seq in enumerate(out.tolist()):
            seq = seq[:max_new_tokens[i]]
            result.append(seq[:seq.index(eos)] if eos in seq else seq)
        return result
