"""A small causal language model pre-trained on AD text (for CPU-sized AD-model experiments).

When no pretrained LM can be fine-tuned in the time or memory at hand, the AD model's frozen
decoder can be a small GPT-2 trained here from scratch on a corpus of real ADs (e.g. TV-AD's
29k training ADs): a byte-level BPE tokenizer fitted on the corpus, then next-token prediction
on one AD per sequence (`` <AD><eos>``, the layout of the AD model's targets).  The result is a
HuggingFace folder that ``lm_path`` can point at.  Input and output embeddings are not tied, so
that the AD model can fine-tune the whole LM (``freeze_lm: false``) and save it.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from ..errors import InputError
from ..progress import progress_bar


@dataclass
class LMSettings:
    vocab_size: int = 4000
    layers: int = 2
    dim: int = 128
    heads: int = 4
    max_tokens: int = 48
    steps: int = 600
    batch_size: int = 64
    lr: float = 3e-3
    warmup_steps: int = 30
    seed: int = 0


def train_tokenizer(texts: Sequence[str], vocab_size: int):
    """A fast byte-level BPE tokenizer fitted on ``texts`` with ``<pad>`` and ``<eos>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator([" " + t for t in texts], trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<pad>", "<eos>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", eos_token="<eos>", bos_token="<eos>")


def pretrain_lm(texts: Sequence[str], folder: str | Path, settings: LMSettings | None = None) -> dict[str, float]:
    """Fit a tokenizer and a GPT-2 on ``texts``; save both into ``folder`` (written to a
    temporary folder and renamed when complete).  Returns the first and last training loss."""
    from transformers import GPT2Config, GPT2LMHeadModel

    s = settings or LMSettings()
    texts = [t for t in texts if t.strip()]
    if len(texts) < s.batch_size:
        raise InputError(f"{len(texts)} texts are too few to pre-train a language model (need {s.batch_size})")
    torch.manual_seed(s.seed)
    tokenizer = train_tokenizer(texts, s.vocab_size)
    config = GPT2Config(n_layer=s.layers, n_embd=s.dim, n_head=s.heads, n_positions=256, vocab_size=len(tokenizer),
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    lm = GPT2LMHeadModel(config)
    optimizer = torch.optim.AdamW(lm.parameters(), lr=s.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: min(1.0, (i + 1) / (s.warmup_steps + 1)) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, i / s.steps))))
    generator = torch.Generator().manual_seed(s.seed)
    first = last = float("nan")
    lm.train()
    with progress_bar("Language model", total=s.steps) as bar:
        for step in range(s.steps):
            idx = torch.randint(len(texts), (s.batch_size,), generator=generator).tolist()
            enc = tokenizer([" " + texts[i] + tokenizer.eos_token for i in idx], padding=True, truncation=True,
                            max_length=s.max_tokens, return_tensors="pt")
            labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
            loss = lm(**enc, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(lm.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            last = float(loss.detach())
            first = last if step == 0 else first
            bar.advance()
    folder = Path(folder)
    tmp = folder.with_name(f".{folder.name}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    lm.eval().save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return {"first_loss": first, "last_loss": last, "parameters": sum(p.numel() for p in lm.parameters())}
