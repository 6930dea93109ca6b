"""Optional polishing of the rule sentence by a small causal language model, under constraints.

The rule writer (:func:`cinescribe.describe.writer.write`) is exact but stiff.  A
:class:`Polisher` asks a small causal LM (by default Gemma 3 270M, a *base* model, prompted
few-shot) to rephrase it, and guarantees that the rephrasing says nothing the measurements do
not back:

* **Constrained decoding** (:mod:`.constrained`).  A :class:`ConstrainedWords` logits processor
  allows, at each step, only the tokens that keep the generated text a prefix of a sentence made of *allowed words*:
  :data:`~cinescribe.describe.writer.FUNCTION_WORDS` plus the words of the facts the rule sentence
  used (their own inflections only), separated by a space or ``", "`` and ended by ``"."``; an
  on-screen text can only be said as its verbatim quote (``"EXIT"``).  The allowed words are a
  character trie; each token of the vocabulary is a piece of text (``"▁"``/``"Ġ"`` = space), and a
  token is allowed when the text with its piece is still on a path of the trie (the
  :class:`Grammar`).  The word budget is part of the grammar, and after the final ``"."`` only
  the end-of-sequence token is allowed.
* **Verification** (:mod:`.licence`).  The result must contain only licensed words
  (:func:`~cinescribe.describe.writer.unlicensed_words`), fit the budget, express every used fact
  (:func:`~.licence.fact_expressed`) and keep quoted text verbatim; otherwise :meth:`Polisher.polish`
  returns the rule sentence unchanged.  :attr:`Written.polish` says what happened.

Decoding is greedy (deterministic), on the CPU, under :func:`torch.inference_mode`.  The model
and tokenizer come with the package's dependencies (``make setup``; :mod:`.gemma` prepares them).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import time
import warnings
from pathlib import Path
from typing import Sequence

from ..errors import InputError
from .constrained import ConstrainedWords, Grammar, token_surfaces
from .gemma import prepare_gemma, require_lm
from .licence import allowed_words, check
from .writer import Written

# Hand-written (rule sentence -> natural AD) pairs: every word of each natural sentence is a
# word of its rule sentence or a function word, as the constraint demands of the model.
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("In close-up, a smiling person stands, with a cup in view.",
     "In close-up, a smiling person stands with a cup."),
    ("Two people sit, with a table and a laptop in view, in darkness.",
     "In darkness, two people sit with a laptop and a table."),
    ("A person appears, with the words \"OPEN\" on screen.",
     "A person appears as the words \"OPEN\" appear on screen."),
    ("In a wide shot, three people stand, as the camera pans left.",
     "As the camera pans left, three people stand in a wide shot."),
    ("The dog remains, then the picture fades to black.",
     "The dog remains, then the picture fades to black."),
    ("In a new scene, a sad person sits, with a phone in view.",
     "In a new scene, a sad person sits with a phone."),
)
INSTRUCTION = "Audio description for a film. Each draft is rewritten as natural, concise audio description, using only its own words.\n\n"


def prompt_prefix(examples: Sequence[tuple[str, str]] = EXAMPLES) -> str:
    """The part of the prompt shared by every sentence: instruction and few-shot pairs."""
    return INSTRUCTION + "".join(f"Draft: {a}\nAD: {b}\n\n" for a, b in examples)


def build_prompt(rule_text: str, examples: Sequence[tuple[str, str]] = EXAMPLES) -> str:
    return f"{prompt_prefix(examples)}Draft: {rule_text}\nAD:"


class Polisher:
    """Rephrases rule sentences with a causal LM, saying only what the facts back.

    ``path``: a transformers causal-LM directory with its tokenizer (any architecture).
    :meth:`from_package` prepares and loads the packaged Gemma 3 270M.
    """

    def __init__(self, path: str | os.PathLike[str], *, examples: Sequence[tuple[str, str]] = EXAMPLES,
                 threads: int | None = None, prefix_cache: bool = True) -> None:
        require_lm()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(path)
        if not (path / "config.json").exists():
            raise InputError(f"{path} is not a transformers model directory (no config.json)")
        t0 = time.perf_counter()
        if threads:
            torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
        self.model.eval()
        self.examples = tuple(examples)
        self.path = path
        self.surfaces = token_surfaces(self.tokenizer)
        self.index: dict[str, list[int]] = {}
        for i, s in enumerate(self.surfaces):
            if s:
                self.index.setdefault(s, []).append(i)
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self.eos_ids = sorted({*(eos if isinstance(eos, list) else [eos])} - {None})
        if not self.eos_ids:
            raise InputError(f"{path}: the tokenizer has no end-of-sequence token")
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_ids[0]
        self._prefix: tuple[list[int], object] | None = None
        if prefix_cache:
            self._prefix = self._encode_prefix()
        self.load_seconds = time.perf_counter() - t0

    def _encode_prefix(self) -> tuple[list[int], object] | None:
        """The model's key/value cache of the shared prompt prefix (``None``: not supported)."""
        import torch

        try:
            from transformers import DynamicCache

            ids = self.tokenizer(prompt_prefix(self.examples), return_tensors="pt")["input_ids"]
            cache = DynamicCache(config=self.model.config)
            with torch.inference_mode(), warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # past_key_values -> cache (5.x)
                self.model(input_ids=ids, past_key_values=cache, use_cache=True)
            return ids[0].tolist(), cache
        except Exception:  # some architectures/caches cannot be reused: prefill every time instead
            return None

    @classmethod
    def from_package(cls, cache_dir: str | os.PathLike[str] | None = None, **kwargs) -> "Polisher":
        """The Gemma 3 270M polisher (first call: ~1 min to prepare the cache; then seconds)."""
        return cls(prepare_gemma(Path(cache_dir) if cache_dir else None), **kwargs)

    def processor(self, written: Written, budget: int, prompt_len: int) -> ConstrainedWords:
        words, quotes = allowed_words(written.facts)
        return ConstrainedWords(Grammar(words, quotes, budget), self.surfaces, self.eos_ids, prompt_len, self.index)

    def generate(self, written: Written, budget: int) -> str:
        """The constrained rephrasing of ``written`` (not yet verified)."""
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        enc = self.tokenizer(build_prompt(written.text, self.examples), return_tensors="pt")
        prompt_len = enc["input_ids"].shape[1]
        constraint = self.processor(written, budget, prompt_len)
        quote_tokens = sum(len(self.tokenizer(q, add_special_tokens=False)["input_ids"])
                           for q in allowed_words(written.facts)[1])
        config = GenerationConfig(
            max_new_tokens=3 * budget + quote_tokens + 4, do_sample=False, num_beams=1,
            eos_token_id=self.eos_ids, pad_token_id=self.pad_id,
        )
        extra = {}
        if self._prefix is not None:
            ids, cache = self._prefix
            if enc["input_ids"][0, :len(ids)].tolist() == ids and prompt_len > len(ids):
                extra["past_key_values"] = copy.deepcopy(cache)
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # past_key_values -> cache (5.x)
            out = self.model.generate(**enc, generation_config=config,
                                      logits_processor=LogitsProcessorList([constraint]), **extra)
        text = constraint.text_of([i for i in out[0, prompt_len:].tolist() if i not in self.eos_ids])
        text = text.strip()
        return text[:1].upper() + text[1:]

    def polish(self, written: Written, budget: int) -> Written:
        """``written`` rephrased, or unchanged if the rephrasing fails a check.

        The result has the same facts; its ``polish`` field says ``accepted`` (with the rule
        sentence), ``unchanged`` or ``rejected: <why>``.
        """
        if not written.text:
            return written
        try:
            polished = self.generate(written, budget)
        except Exception as e:  # a model failure must never lose the rule sentence
            return dataclasses.replace(written, polish=f"rejected: generation failed ({type(e).__name__}: {e})")
        why = check(polished, written, budget)
        if why:
            return dataclasses.replace(written, polish=f"rejected: {why} ({polished!r})")
        if polished == written.text:
            return dataclasses.replace(written, polish="unchanged")
        return dataclasses.replace(written, text=polished, polish=f"accepted; rule sentence: {written.text}")
