"""cinescribe's captioning metrics against pycocoevalcap (the reference) on 20,000 real-looking AD pairs.

Pairs come from the real TV-AD training ADs (shared/data/ad-annotations/tvad_train.csv): each AD is
the reference of one item, and the hypothesis is, in turn, the same AD with its names replaced by
pronouns (the file's ``text_gt_wo_char``), the next AD, a perturbed copy (two words swapped, one
dropped) or an unrelated AD; every tenth item has two extra references.  In the same run:

1. PTB tokenisation: pycocoevalcap's ``PTBTokenizer`` vs ours (references in one call, hypotheses in
   another; Python rules, the same jar for the sentences outside them); the tokens must be identical.
2. BLEU-1..4 + ROUGE-L + CIDEr-D on those tokens: pycocoevalcap's scorers vs ours; corpus scores must
   agree to 1e-9 and every per-item score to 1e-6.  Best of ``--repeat`` runs on each side.
3. METEOR on ``--meteor`` items: the reference wrapper vs ours (the same jar, streamed); scores must be
   equal.  Each side's time excludes its JVM start (paid once per process on both sides).

Printed ratios: scoring only (item 2: the vectorised code vs the reference's Python), and tokenisation +
scoring.  ``benchmarks/bench_evaluate.py`` times the whole ``cinescribe evaluate`` command.

    .venv/bin/python benchmarks/bench_metrics.py [--pairs 20000] [--repeat 3] [--meteor 2000] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.meteor.meteor import Meteor as RefMeteor
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

from cinescribe.evaluate import captioning, ptb
from cinescribe.evaluate.meteor import Meteor

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ad-annotations" / "tvad_train.csv"


def make_pairs(n: int, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    with open(DATA, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(seed)
    texts = [r["text_gt"] for r in rows]
    hyps, refs = [], []
    for i in range(n):
        j = i % len(rows)
        t = texts[j]
        words = t.split()
        if len(words) > 3:
            k = rng.randrange(len(words) - 1)
            words[k], words[k + 1] = words[k + 1], words[k]
            del words[rng.randrange(len(words))]
        hyps.append([rows[j]["text_gt_wo_char"], texts[(j + 1) % len(texts)], " ".join(words), rng.choice(texts)][i % 4])
        refs.append([t, rng.choice(texts), rng.choice(texts)] if i % 10 == 0 else [t])
    return hyps, refs


def best_of(repeat: int, fn):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--meteor", type=int, default=2000, help="items for the METEOR comparison (0: skip)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if not DATA.is_file():
        print(f"error: {DATA} not found (shared/data/ad-annotations must sit beside the repository)", file=sys.stderr)
        return 2
    hyps, refs = make_pairs(args.pairs)
    n = len(hyps)
    print(f"{n} pairs, {sum(map(len, refs))} references, from {DATA.name}")

    # 1. tokenisation (the same jar on both sides)
    gts_in = {i: [{"caption": c} for c in r] for i, r in enumerate(refs)}
    res_in = {i: [{"caption": h}] for i, h in enumerate(hyps)}
    t_ref_tok, (gts, res) = best_of(1, lambda: (PTBTokenizer().tokenize(gts_in), PTBTokenizer().tokenize(res_in)))

    def our_tokens():
        flat = iter(ptb.tokenize([c for r in refs for c in r], cache=False))
        return [[next(flat) for _ in r] for r in refs], ptb.tokenize(hyps, cache=False)
    t_our_tok, (tok_refs, tok_hyps) = best_of(1, our_tokens)
    same_tokens = tok_hyps == [res[i][0] for i in range(n)] and tok_refs == [gts[i] for i in range(n)]

    # 2. BLEU + ROUGE-L + CIDEr-D on the same tokens
    def reference_scores():
        return (Bleu(4).compute_score(gts, res, verbose=0), Rouge().compute_score(gts, res), Cider().compute_score(gts, res))

    def our_scores():
        corpus = captioning.Corpus.build(tok_hyps, tok_refs)
        stats = captioning.bleu_stats(corpus)
        return stats, captioning.rouge_l(corpus), captioning.cider_d(corpus)

    t_ref, ((bleu, bleu_items), (rouge, rouge_items), (cider, cider_items)) = best_of(args.repeat, reference_scores)
    t_our, (stats, our_rouge, our_cider) = best_of(args.repeat, our_scores)
    diffs = {
        "BLEU corpus": float(np.abs(np.array(stats.corpus()) - bleu).max()),
        "BLEU per item": float(np.abs(stats.sentences() - np.array(bleu_items).T).max()),
        "ROUGE-L corpus": abs(float(our_rouge.mean()) - rouge),
        "ROUGE-L per item": float(np.abs(our_rouge - rouge_items).max()),
        "CIDEr-D corpus": abs(float(our_cider.mean()) - cider),
        "CIDEr-D per item": float(np.abs(our_cider - cider_items).max()),
    }
    identical = same_tokens and all(v <= (1e-9 if "corpus" in k else 1e-6) for k, v in diffs.items())
    print(f"tokens identical: {same_tokens}")
    print("scores  " + "  ".join(f"BLEU-{k + 1} {b * 100:.4f}" for k, b in enumerate(bleu))
          + f"  ROUGE-L {rouge * 100:.4f}  CIDEr-D {cider * 100:.4f}")
    print("max |ours - reference|: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    print(f"PTB tokenisation     reference {t_ref_tok:7.3f} s   ours {t_our_tok:7.3f} s   speed-up {t_ref_tok / t_our_tok:6.1f}x")
    print(f"BLEU+ROUGE-L+CIDEr-D reference {t_ref:7.3f} s   ours {t_our:7.3f} s   speed-up {t_ref / t_our:6.1f}x")
    e2e_ref, e2e_our = t_ref_tok + t_ref, t_our_tok + t_our
    print(f"end to end (tokenise + score)  reference {e2e_ref:7.3f} s   ours {e2e_our:7.3f} s   "
          f"speed-up {e2e_ref / e2e_our:6.1f}x")
    report = {"pairs": n, "identical": identical, "max_abs_diff": diffs, "seconds": {
        "tokenise_reference": t_ref_tok, "tokenise_ours": t_our_tok, "score_reference": t_ref, "score_ours": t_our},
        "speedup_scoring": t_ref / t_our, "speedup_end_to_end": e2e_ref / e2e_our}

    # 3. METEOR through the same jar
    if args.meteor:
        m = min(args.meteor, n)
        ref_meteor, ours = RefMeteor(), Meteor()
        warm = ([tok_hyps[0]], [tok_refs[0]])  # both JVMs load their paraphrase tables before timing
        ref_meteor.compute_score({0: warm[1][0]}, {0: warm[0]})
        ours.evaluate(ours.stats(*warm))
        t_ref_m, (ref_score, ref_items) = best_of(1, lambda: ref_meteor.compute_score(
            {i: gts[i] for i in range(m)}, {i: res[i] for i in range(m)}))
        t_our_m, (our_items, our_score) = best_of(1, lambda: ours.evaluate(ours.stats(tok_hyps[:m], tok_refs[:m])))
        ours.close()
        same = our_score == ref_score and our_items == ref_items
        identical &= same
        print(f"METEOR on {m} items: {our_score * 100:.4f} vs reference {ref_score * 100:.4f}, per item identical: {same}; "
              f"reference {t_ref_m:.2f} s   ours {t_our_m:.2f} s   speed-up {t_ref_m / t_our_m:.1f}x")
        report["meteor"] = {"items": m, "identical": same, "reference_s": t_ref_m, "ours_s": t_our_m}
    print("IDENTICAL" if identical else "MISMATCH")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
