"""The captioning metrics of the AD benchmarks, computed the way pycocoevalcap computes them.

``caption_metrics(hyps, refs)`` tokenises the raw sentences with the PTB tokenizer (references in
one call, hypotheses in another, as ``COCOEvalCap`` does), then computes BLEU-1..4, ROUGE-L and
CIDEr-D with the vectorised code of :mod:`.captioning`, METEOR with the reference jar
(:mod:`.meteor`) and SPICE where it can run (:mod:`.spice`).  Scores are on pycocoevalcap's scale
(0..1; CIDEr-D 0..10); reports multiply by 100.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from . import captioning, ptb
from .meteor import get_meteor
from .spice import spice

METRICS = ("bleu", "meteor", "rouge", "cider", "spice")
DEFAULT_METRICS = ("bleu", "meteor", "rouge", "cider")


def parse_metrics(text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """``"bleu,cider"`` -> ``("bleu", "cider")``; InputError naming the choices on an unknown name."""
    names = tuple(dict.fromkeys(m.strip().lower() for m in text.split(",") if m.strip()))
    unknown = [m for m in names if m not in allowed]
    if unknown or not names:
        what = f"unknown metric {unknown[0]!r}" if unknown else "no metric given"
        raise InputError(f"{what}; choose from {', '.join(allowed)}")
    return names


@dataclass
class CaptionResult:
    """Corpus scores, per-item scores and what is needed to score any subset (a film) the same way."""

    overall: dict[str, float]
    per_item: dict[str, np.ndarray]
    bleu: captioning.BleuStats | None = None
    meteor_stats: list[str] = field(default_factory=list)

    def subset(self, items: np.ndarray) -> dict[str, float]:
        """Scores of a subset of items: corpus BLEU/METEOR over it, mean ROUGE-L/CIDEr-D/SPICE."""
        out: dict[str, float] = {}
        if self.bleu is not None:
            out.update({f"BLEU-{k + 1}": b for k, b in enumerate(self.bleu.corpus(items))})
        if self.meteor_stats:
            out["METEOR"] = get_meteor().evaluate([self.meteor_stats[i] for i in items])[1]
        for name in ("ROUGE-L", "CIDEr-D", "SPICE"):
            if name in self.per_item:
                out[name] = float(np.mean(self.per_item[name][items]))
        return out


def caption_metrics(hyps: list[str], refs: list[list[str]], metrics: tuple[str, ...] = DEFAULT_METRICS,
                    tokenized: bool = False, tokenizer: str = "auto") -> CaptionResult:
    """Score hypotheses against references (one or more per item) with the chosen metrics.

    ``tokenizer`` is the :mod:`.ptb` engine (``auto`` or ``jar``); the references' tokens are kept on disk.
    """
    if not hyps:
        raise InputError("nothing to score: no hypotheses")
    if tokenized:
        tok_hyps, tok_refs = list(hyps), [list(r) for r in refs]
    else:
        flat, tok_hyps = ptb.tokenize_batches([[s for r in refs for s in r], list(hyps)], engine=tokenizer,
                                              persist=(True, False))
        if all(len(r) == 1 for r in refs):  # one reference per item (the AD benchmarks)
            tok_refs = [[t] for t in flat]
        else:
            it = iter(flat)
            tok_refs = [[next(it) for _ in r] for r in refs]
    overall: dict[str, float] = {}
    per_item: dict[str, np.ndarray] = {}
    result = CaptionResult(overall, per_item)
    if {"bleu", "rouge", "cider"} & set(metrics):
        corpus = captioning.Corpus.build(tok_hyps, tok_refs)
        if "bleu" in metrics:
            result.bleu = captioning.bleu_stats(corpus)
            overall.update({f"BLEU-{k + 1}": b for k, b in enumerate(result.bleu.corpus())})
            per_item["BLEU-4"] = result.bleu.sentences()[:, 3]
        if "rouge" in metrics:
            per_item["ROUGE-L"] = captioning.rouge_l(corpus)
            overall["ROUGE-L"] = float(np.mean(per_item["ROUGE-L"]))
        if "cider" in metrics:
            per_item["CIDEr-D"] = captioning.cider_d(corpus)
            overall["CIDEr-D"] = float(np.mean(per_item["CIDEr-D"]))
    if "meteor" in metrics:
        meteor = get_meteor()
        result.meteor_stats = meteor.stats(tok_hyps, tok_refs)
        segments, overall["METEOR"] = meteor.evaluate(result.meteor_stats)
        per_item["METEOR"] = np.array(segments)
    if "spice" in metrics:
        overall["SPICE"], per_item["SPICE"] = spice(tok_hyps, tok_refs)
    return result
