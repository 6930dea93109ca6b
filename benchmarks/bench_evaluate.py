"""``cinescribe evaluate --metrics bleu,rouge,cider`` end to end against pycocoevalcap's own scripts.

Ground truth: the CMD-AD evaluation file (shared/data/ad-annotations/cmdad_eval.csv, 7,311 ADs in 98
films).  Predictions, one per ground-truth AD (same film, start, end): in turn the film's previous AD,
the AD itself, or an unrelated AD, written to a CSV.  In the same run, each side a fresh process,
best of ``--repeat``:

1. reference: a script of pycocoevalcap's own calls: read both CSVs, pair by key, ``PTBTokenizer``
   on the references and on the predictions, ``Bleu(4)``, ``Rouge()``, ``Cider()``;
2. ``cinescribe evaluate --tokenizer jar`` (every sentence through the reference jar, as before);
3. ``cinescribe evaluate`` cold: an empty cache (``CINESCRIBE_CACHE``);
4. ``cinescribe evaluate`` warm: the same cache again (the ground truth's tokens, and the jar's output
   for the few sentences outside the Python rules, are on disk);
5. and 6. the same two with ``--no-plot`` (no evaluation.svg figure).

cinescribe's runs write evaluation.json (and evaluation.svg but in 5 and 6).  Printed: wall and CPU seconds
(the process and its children, Java included), the ratios to the reference, the largest difference
between the reference's scores and each run's (``evaluation.json`` holds scores x100 rounded to 4
decimals, so equal scores differ by at most 5e-5), and, to full precision in this process, the
tokens and scores of the default engine against the reference's.

    .venv/bin/python benchmarks/bench_evaluate.py [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GT = ROOT.parent / "shared" / "data" / "ad-annotations" / "cmdad_eval.csv"
LABELS = {"reference": "pycocoevalcap scripts", "jar": "cinescribe evaluate --tokenizer jar",
          "cold": "cinescribe evaluate (cold cache)", "warm": "cinescribe evaluate (warm cache)",
          "cold-no-plot": "cinescribe evaluate --no-plot (cold cache)",
          "warm-no-plot": "cinescribe evaluate --no-plot (warm cache)"}
NAMES = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr-D")

REFERENCE = textwrap.dedent('''
    import csv, json, sys
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    pred_path, gt_path, out_path = sys.argv[1:4]
    with open(gt_path, newline="", encoding="utf-8") as f:
        gt = {(r["movie"], float(r["start"]), float(r["end"])): r["text"] for r in csv.DictReader(f)}
    with open(pred_path, newline="", encoding="utf-8") as f:
        pred = {(r["film"], float(r["start"]), float(r["end"])): r["text"] for r in csv.DictReader(f)}
    keys = sorted(gt)  # the order cinescribe pairs them in (film, start, end): the same batches
    gts = PTBTokenizer().tokenize({i: [{"caption": gt[k]}] for i, k in enumerate(keys)})
    res = PTBTokenizer().tokenize({i: [{"caption": pred[k]}] for i, k in enumerate(keys)})
    bleu, bleu_items = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, rouge_items = Rouge().compute_score(gts, res)
    cider, cider_items = Cider().compute_score(gts, res)
    doc = {"overall": dict(zip(["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr-D"],
                               [*bleu, float(rouge), float(cider)])),
           "per_item": {"BLEU-4": list(bleu_items[3]), "ROUGE-L": [float(x) for x in rouge_items],
                        "CIDEr-D": [float(x) for x in cider_items]},
           "refs": [gts[i][0] for i in range(len(keys))], "hyps": [res[i][0] for i in range(len(keys))]}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
''')


def make_predictions(path: Path, seed: int = 0) -> int:
    """One prediction per distinct ground-truth key: the previous AD, the AD itself or a random one."""
    with open(GT, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(seed)
    seen: set[tuple[str, str, str]] = set()
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["film", "start", "end", "text"])
        for i, r in enumerate(rows):
            key = (r["movie"], r["start"], r["end"])
            if key in seen:
                continue
            seen.add(key)
            w.writerow([*key, [rows[i - 1]["text"], r["text"], rng.choice(rows)["text"]][i % 3]])
    return len(seen)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the process and everything it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(cmd[:4])} ... failed: {proc.stderr.strip()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if not GT.is_file():
        print(f"error: {GT} not found (shared/data/ad-annotations must sit beside the repository)", file=sys.stderr)
        return 2
    if args.repeat < 1:
        print("error: --repeat must be at least 1", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="bench-evaluate-"))
    pred = tmp / "pred.csv"
    n = make_predictions(pred)
    script = tmp / "reference.py"
    script.write_text(REFERENCE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    print(f"{n} ADs in {GT.name}; predictions {pred}")

    def cinescribe(out: str, *extra: str) -> list[str]:
        return [sys.executable, "-m", "cinescribe", "evaluate", "--pred", str(pred), "--gt", str(GT),
                "--metrics", "bleu,rouge,cider", "-o", str(tmp / out), "-q", *extra]

    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in LABELS}
    for r in range(args.repeat):
        runs["reference"].append(timed([sys.executable, str(script), str(pred), str(GT), str(tmp / "reference.json")], env))
        cache, bare = ({**env, "CINESCRIBE_CACHE": str(tmp / f"{name}-{r}")} for name in ("cache", "cache-no-plot"))
        runs["jar"].append(timed(cinescribe("jar", "--tokenizer", "jar"), cache))
        runs["cold"].append(timed(cinescribe("cold"), cache))
        runs["warm"].append(timed(cinescribe("warm"), cache))
        runs["cold-no-plot"].append(timed(cinescribe("cold-no-plot", "--no-plot"), bare))
        runs["warm-no-plot"].append(timed(cinescribe("warm-no-plot", "--no-plot"), bare))
    ref = json.loads((tmp / "reference.json").read_text(encoding="utf-8"))
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
    diffs = {}
    for name in LABELS:
        if name == "reference":
            continue
        overall = json.loads((tmp / name / "evaluation.json").read_text(encoding="utf-8"))["overall"]
        diffs[name] = max(abs(overall[k] - 100 * ref["overall"][k]) for k in NAMES)

    from cinescribe.evaluate import ptb
    from cinescribe.evaluate.metrics import caption_metrics
    from cinescribe.data.annotations import read_annotations
    from cinescribe.data.predictions import align

    pairs = align(read_annotations(GT), read_annotations(pred))
    refs = ptb.tokenize([a.text for a in pairs.gt], cache=False)
    hyps = ptb.tokenize(pairs.pred, cache=False)
    same_tokens = refs == ref["refs"] and hyps == ref["hyps"]
    ours = caption_metrics(pairs.pred, [[a.text] for a in pairs.gt], ("bleu", "rouge", "cider"))
    full = max(abs(ours.overall[k] - ref["overall"][k]) for k in NAMES)
    per_item = max(float(np.abs(ours.per_item[k] - np.array(ref["per_item"][k])).max()) for k in ref["per_item"])

    print(f"{'run':<44}{'wall s':>9}{'CPU s':>9}{'wall ratio':>12}{'CPU ratio':>11}{'max |score diff| x100':>24}")
    for k, (wall, cpu) in best.items():
        diff = f"{diffs[k]:.1e}" if k in diffs else ""
        print(f"{LABELS[k]:<44}{wall:9.2f}{cpu:9.2f}{best['reference'][0] / wall:11.2f}x{best['reference'][1] / cpu:10.2f}x{diff:>24}")
    print(f"default engine, full precision: tokens identical {same_tokens}; max |score diff| corpus {full:.1e}, "
          f"per AD {per_item:.1e}")
    identical = same_tokens and full <= 1e-9 and per_item <= 1e-6 and all(d <= 5e-5 for d in diffs.values())
    print("IDENTICAL" if identical else "MISMATCH")
    if args.json:
        args.json.write_text(json.dumps({"ads": n, "seconds": {k: {"wall": w, "cpu": c} for k, (w, c) in best.items()},
                                         "max_abs_diff_x100": diffs, "tokens_identical": same_tokens,
                                         "max_abs_diff_full": {"corpus": full, "per_ad": per_item},
                                         "identical": identical}, indent=2) + "\n")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
