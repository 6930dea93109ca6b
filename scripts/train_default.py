"""Train the default AD models on real TV-AD text and compare each seed mechanism with the baseline.

No film frames or video-AD pairs can be had offline, and the one pretrained LM (Gemma 3 270M)
is too slow to fine-tune through on a CPU, so every run pairs real TV-AD ADs with features
built from the ADs themselves.  ``--features`` picks which:

* ``facts`` (configs/tvad_facts/base.yaml): simulated fact vectors of what each AD implies
  (data/fact_features.py) -- the 99-d perception vectors of its key frames joined with the
  slot's actions, setting, characters, text, ... (175-d, data/fact_vector.py), what
  ``describe`` measures, so the trained model is one ``cinescribe describe --model`` can use.
  The facts are read from the named ADs (``text_gt``); targets are the ADs without character
  names (``text_gt_wo_char``).
* ``perception`` (configs/tvad_perception/base.yaml): the earlier proxy, the 99-d perception
  vectors alone, read from the targets themselves.
* ``text`` (configs/tvad_text/base.yaml): DistinctAD's Appendix-A setting, the ADs'
  all-MiniLM-L6-v2 token embeddings.

Steps, each in out/tvad-<features>/:

1. ``lm``: a small GPT-2 pre-trained on TV-AD's training ADs (``tvad_train.csv``, the config's
   column): the decoder, then fine-tuned with the visual modules in each run.
2. one Stage-II run per variant, on the config's training ADs (``data.limit``, 0 = all):
   ``baseline`` (Perceiver + projector), ``+scene`` (dual-vision gate over the neighbouring ADs'
   features), ``+ema`` (Contextual EMA), ``+dist`` (L_dist with distinctive words from the real
   neighbouring ADs), ``+keyframes`` (DynFocus-style event key frames, k=3 + coarse tokens), ``all``;
   ``ema-alpha1``, Contextual EMA with alpha=1 instead of the paper's 3; and ``ema-literal``, the
   Contextual EMA with eq. 7 as printed (unnormalised bases, learned initial bases), where ``ema``
   uses EMANet's normalised, moving-average-maintained bases (models/contextual_ema.py; with the
   literal form and alpha=3 the re-estimated context outweighed each clip's own tokens and the
   trained model stopped reading them).
3. each run generates ADs for the held-out TV-AD evaluation episodes (``tvad_eval.csv``, first
   ``--eval-ads`` ADs) and is scored with the evaluation suite: CIDEr-D and R@1/5, R@5/16
   (BERTScore with all-MiniLM-L6-v2 layer 6 -- not comparable to published roberta-large values),
   and its held-out L_auto with each clip's own features and with shuffled ones (:func:`fact_use`).

Each variant is trained with ``--seeds`` seeds (default 3: out/tvad-<features>/<variant> for seed 0,
<variant>-seed<k> for the others); the table gives their mean and range.  Every step is skipped
when its output exists, so the script resumes; ``--only`` runs one step.  Results:
out/tvad-<features>/results.json and results.md (a Markdown table); each run's model folder is
<run>/model.

    .venv/bin/python scripts/train_default.py [--features facts|perception|text] [--only lm|baseline|...|table]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"facts": ROOT / "configs" / "tvad_facts" / "base.yaml",
           "perception": ROOT / "configs" / "tvad_perception" / "base.yaml",
           "text": ROOT / "configs" / "tvad_text" / "base.yaml"}
CONFIG = CONFIGS["facts"]
OUT = ROOT / "out" / "tvad-facts"
TVAD = ROOT.parent / "shared" / "data" / "ad-annotations"

VARIANTS: dict[str, dict] = {
    "baseline": {},
    "scene": {"model": {"dual_vision": True}},
    "ema": {"model": {"ema.enabled": True}},
    "ema-alpha1": {"model": {"ema.enabled": True, "ema.alpha": 1.0}},
    "ema-literal": {"model": {"ema.enabled": True, "ema.form": "literal"}},
    "dist": {"model": {"dist_weight": 1.0}},
    "keyframes": {"data": {"keyframes": "events", "keyframes_k": 3}},
    "all": {"model": {"dual_vision": True, "ema.enabled": True, "dist_weight": 1.0},
            "data": {"keyframes": "events", "keyframes_k": 3}},
}


def build_lm(lm_steps: int) -> dict:
    from cinescribe.data.text_features import read_text_corpus
    from cinescribe.train.lm import LMSettings, pretrain_lm

    folder = OUT / "lm"
    if (folder / "config.json").is_file():
        return json.loads((OUT / "lm.json").read_text())
    column = yaml.safe_load(CONFIG.read_text())["data"]["column"]
    texts = [a.text for a in read_text_corpus(TVAD / "tvad_train.csv", column)]
    stats = pretrain_lm(texts, folder, LMSettings(steps=lm_steps))
    from cinescribe.atomic import write_json

    write_json(OUT / "lm.json", stats)
    return stats


def run_dir(name: str, seed: int) -> Path:
    return OUT / (name if seed == 0 else f"{name}-seed{seed}")


def run_variant(name: str, eval_ads: int, steps: int | None, seed: int = 0) -> dict:
    from cinescribe.atomic import write_json
    from cinescribe.data.config import build_dataset
    from cinescribe.evaluate.bertscore import BertScorer
    from cinescribe.evaluate.metrics import caption_metrics
    from cinescribe.evaluate.recall import recall_within_neighbours
    from cinescribe.train.config import load_config
    from cinescribe.train.run import build_trainer, unique_generated

    result_path = run_dir(name, seed) / "result.json"
    if result_path.is_file():
        return json.loads(result_path.read_text())
    raw = yaml.safe_load(CONFIG.read_text())
    extra = VARIANTS[name]
    overrides = {"output_dir": str(run_dir(name, seed)), "seed": seed,
                 "model.overrides": {**raw["model"]["overrides"], **extra.get("model", {})},
                 **{f"data.{k}": v for k, v in extra.get("data", {}).items()}}
    if steps:
        overrides["schedule.steps"] = steps
    config, base = load_config(CONFIG, overrides)
    trainer = build_trainer(config, base)
    summary = trainer.run()
    # held-out TV-AD episodes, same features and mechanisms as training
    split = replace(config.data, corpus="", annotations=str(TVAD / "tvad_eval.csv"), limit=eval_ads,
                    format="tvad", stride=0)
    dataset = build_dataset(split, base)
    batches = [trainer.task.collate(dataset.sequences[i:i + 8]) for i in range(0, len(dataset), 8)]
    generated = sorted(unique_generated(trainer.task.generate(batches)), key=lambda g: (g.film, g.start, g.end))
    scores = caption_metrics([g.text for g in generated], [[g.reference] for g in generated],
                             ("bleu", "rouge", "cider")).overall
    films: dict[str, tuple[list[str], list[str]]] = {}
    for g in generated:
        films.setdefault(g.film, ([], []))[0].append(g.text)
        films[g.film][1].append(g.reference)
    grounding = fact_use(trainer.task, dataset.sequences)
    scorer = BertScorer()
    recall = recall_within_neighbours(films, scorer, ((1, 5), (5, 16)))
    result = {"variant": name, "seed": seed, "train_steps": summary["step"], "train_loss": summary["last"].get("loss"),
              "eval_ads": len(generated), "eval_films": len(films),
              "CIDEr-D": 100 * scores["CIDEr-D"], "ROUGE-L": 100 * scores["ROUGE-L"], "BLEU-4": 100 * scores["BLEU-4"],
              **{k: (None if v is None else 100 * v) for k, v in recall.overall.items()}, **grounding,
              "recall_backbone": recall.backbone,
              "examples": [{"reference": g.reference, "generated": g.text} for g in generated[:8]]}
    write_json(result_path, result)
    return result


def fact_use(task, sequences, batch: int = 8) -> dict:
    """Held-out L_auto (nats per token) with each clip's own features and with features shuffled
    across the held-out clips (seeded): the gap is how much the model takes from its inputs."""
    import numpy as np
    import torch

    from cinescribe.data.clips import ClipSequence

    clips = [c for s in sequences for c in s.clips]
    order = iter(np.random.default_rng(0).permutation(len(clips)))
    shuffled = []
    for s in sequences:
        moved = [replace(c, frames=clips[k].frames, scene=clips[k].scene) for c, k in zip(s.clips, order)]
        shuffled.append(ClipSequence(s.film, tuple(moved), s.history))

    def nll(seqs) -> float:
        model = task.module.eval()
        with torch.no_grad():
            losses = [model(**task.inputs(task.collate(seqs[i:i + batch]))).loss_auto.item()
                      for i in range(0, len(seqs), batch)]
        return float(np.mean(losses))

    own, other = nll(list(sequences)), nll(shuffled)
    return {"NLL": own, "NLL shuffled": other, "NLL gap": other - own}


def table(seeds: int) -> str:
    """results.md: per variant, the mean over its ``seeds`` runs (and the spread, min-max, when > 1)."""
    import numpy as np

    runs = {v: [json.loads((run_dir(v, s) / "result.json").read_text()) for s in range(seeds)
                if (run_dir(v, s) / "result.json").is_file()] for v in VARIANTS}
    runs = {v: rs for v, rs in runs.items() if rs}
    if not runs:
        return "no results yet"
    columns = [("CIDEr-D", 1), ("ROUGE-L", 1), ("R@1/5", 1), ("R@5/16", 1), ("NLL", 3), ("NLL gap", 3)]
    lines = ["| variant | runs | steps | train loss | " + " | ".join(c for c, _ in columns) + " |",
             "| --- | ---: | ---: | ---: |" + " ---: |" * len(columns)]

    def cell(values: list, digits: int) -> str:
        values = [v for v in values if v is not None]
        if not values:
            return "-"
        text = f"{np.mean(values):.{digits}f}"
        return text + (f" ({min(values):.{digits}f}-{max(values):.{digits}f})" if len(values) > 1 else "")

    for variant, rs in runs.items():
        cells = [variant, str(len(rs)), str(rs[0]["train_steps"]), cell([r["train_loss"] for r in rs], 3)]
        cells += [cell([r.get(c) for r in rs], d) for c, d in columns]
        lines.append("| " + " | ".join(cells) + " |")
    r = next(iter(runs.values()))[0]
    lines.append(f"\nHeld-out: {r['eval_ads']} TV-AD evaluation ADs of {r['eval_films']} episodes; mean over "
                 f"training seeds (min-max in brackets); R@k/N with BERTScore on {r['recall_backbone']}; "
                 "NLL: held-out L_auto in nats per token; NLL gap: its rise when each clip gets another clip's "
                 "features (how much the model reads its inputs).")
    text = "\n".join(lines) + "\n"
    from cinescribe.atomic import write_json, write_text

    write_text(OUT / "results.md", text)
    write_json(OUT / "results.json", [r for rs in runs.values() for r in rs])
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", choices=sorted(CONFIGS), default="facts",
                        help="what the clips' features are (default: facts, the model describe can use)")
    parser.add_argument("--only", choices=["lm", *VARIANTS, "table"], help="run one step")
    parser.add_argument("--lm-steps", type=int, default=150, help="pre-training steps of the GPT-2 decoder")
    parser.add_argument("--steps", type=int, default=0, help="Stage-II steps per variant (default: the config's)")
    parser.add_argument("--eval-ads", type=int, default=600, help="held-out TV-AD ADs to evaluate on")
    parser.add_argument("--seeds", type=int, default=3, help="training seeds per variant (runs 0..N-1)")
    args = parser.parse_args()
    global CONFIG, OUT
    CONFIG, OUT = CONFIGS[args.features], ROOT / "out" / f"tvad-{args.features}"
    sys.path.insert(0, str(ROOT / "src"))
    OUT.mkdir(parents=True, exist_ok=True)
    steps = [args.only] if args.only else ["lm", *VARIANTS, "table"]
    for step in steps:
        if step == "lm":
            print("lm:", build_lm(args.lm_steps), flush=True)
        elif step == "table":
            print(table(args.seeds))
        else:
            build_lm(args.lm_steps)
            for seed in range(args.seeds):
                r = run_variant(step, args.eval_ads, args.steps or None, seed)
                print(f"{step} (seed {seed}): CIDEr-D {r['CIDEr-D']:.1f}, R@5/16 {r.get('R@5/16')}, "
                      f"NLL gap {r['NLL gap']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
