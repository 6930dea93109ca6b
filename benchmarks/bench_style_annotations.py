"""How often the style checker's sentence rules fire on professional ADs (CMD-AD and TV-AD).

Professional describers follow the guides, so most of what fires here is a false alarm (some is
not: professional ADs do use "us", passives and emotion words).  Prints, per rule, the share of
sampled ADs it fires on and a few examples.

Usage: ``PYTHONPATH=src python benchmarks/bench_style_annotations.py [--n 3000]``
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import Counter, defaultdict
from pathlib import Path

from cinescribe.describe.style import sentence_findings

ANNOTATIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ad-annotations"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=3000, help="ADs sampled (seeded)")
    ap.add_argument("--examples", type=int, default=3)
    args = ap.parse_args()
    texts = [row["text"] for name in ("cmdad_eval.csv", "tvad_eval.csv")
             for row in csv.DictReader((ANNOTATIONS / name).open(encoding="utf-8"))]
    sample = random.Random(0).sample(texts, min(args.n, len(texts)))
    fired: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    any_error = 0
    for text in sample:
        found = sentence_findings(text)
        any_error += any(f.severity == "error" for f in found)
        for f in found:
            fired[f.rule] += 1
            if len(examples[f.rule]) < args.examples:
                examples[f.rule].append(f"{text}  [{', '.join(f.words)}]")
    print(f"{len(sample)} professional ADs; {any_error / len(sample):.1%} have an error-level finding")
    for rule, n in fired.most_common():
        print(f"{rule:15} {n / len(sample):6.1%}")
        for e in examples[rule]:
            print(f"                  {e}")


if __name__ == "__main__":
    main()
