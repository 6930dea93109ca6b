"""Rule sentence vs Gemma-polished sentence for ~10 hand-built fact sets, with timings.

    .venv/bin/python scripts/polish_examples.py [--cache DIR] [--budget N]

The first run prepares the model cache (~1 min).
"""

from __future__ import annotations

import argparse
import time

from cinescribe.describe.facts import Fact
from cinescribe.describe.polish import Polisher
from cinescribe.describe.writer import unlicensed_words, word_count, write


def F(kind: str, key: str, value, words, salience: float) -> Fact:
    return Fact(kind, key, value, tuple(words), salience)


PERSON = F("people", "people:1", 1, ["person"], 1.0)
TWO = F("people", "people:2", 2, ["two", "people"], 1.0)
THREE = F("people", "people:3", 3, ["three", "people"], 1.0)
GROUP = F("people", "people:7", 9, ["group", "people"], 1.0)
SMILING = F("expression", "expression:happy", "smiling", ["smiling"], 0.7)
SAD = F("expression", "expression:sad", "sad", ["sad"], 0.7)
STANDING = F("posture", "posture:standing", "standing", ["standing", "stands", "stand"], 0.6)
SITTING = F("posture", "posture:sitting", "sitting", ["sitting", "sits", "sit"], 0.6)
ARMS = F("posture", "posture:arms raised", "arms raised", ["arms", "raised", "raises", "raise"], 0.6)
CUP = F("object", "object:cup", "cup", ["cup"], 0.55)
TABLE = F("object", "object:dining table", "table", ["table"], 0.5)
LAPTOP = F("object", "object:laptop", "laptop", ["laptop"], 0.5)
CAR = F("object", "object:car", "car", ["car"], 0.8)
DOG = F("object", "object:dog", "dog", ["dog"], 0.75)
CLOSE = F("scale", "scale:close-up", "close-up", ["close-up"], 0.5)
WIDE = F("scale", "scale:wide", "wide shot", ["wide", "shot"], 0.4)
TEXT = F("text", "text:hotel paradise", "HOTEL PARADISE", ["HOTEL", "PARADISE"], 0.9)
FADE_OUT = F("fade", "fade:out", "out", ["fades", "black"], 0.8)
DARK = F("light", "light:dark", "dark", ["dark", "darkness"], 0.35)
PAN = F("camera", "camera:pan-left", "pans left", ["camera", "pans", "left"], 0.45)
BLUE = F("colour", "colour:blue", "blue", ["blue"], 0.2)
SCENE = F("scene", "scene:3", 3, ["new", "scene", "changes"], 0.3)
CUTS = F("cuts", "cuts:quick", 3, ["quick", "cuts"], 0.25)

CASES: list[tuple[list[Fact], int]] = [
    ([PERSON, SMILING, STANDING, CUP, CLOSE], 14),
    ([TWO, SITTING, TABLE, LAPTOP, DARK], 16),
    ([THREE, STANDING, WIDE, PAN], 16),
    ([PERSON, TEXT], 14),
    ([CAR, DOG, FADE_OUT], 14),
    ([GROUP, ARMS, CUTS], 12),
    ([PERSON, SAD, SITTING, SCENE], 12),
    ([TEXT, FADE_OUT], 14),
    ([DARK, BLUE], 8),
    ([TWO, STANDING, CAR, PAN], 16),
    ([PERSON, SMILING, SITTING, DOG, CLOSE, DARK], 18),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=None, help="cache folder (default $CINESCRIBE_CACHE or ~/.cache/cinescribe)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    polisher = Polisher.from_package(args.cache)
    print(f"load: {time.perf_counter() - t0:.2f} s (model + tokenizer {polisher.load_seconds:.2f} s)\n")
    accepted = 0
    times = []
    for facts, budget in CASES:
        facts = sorted(facts, key=lambda f: -f.salience)
        rule = write(facts, budget)
        t = time.perf_counter()
        out = polisher.polish(rule, budget)
        dt = time.perf_counter() - t
        times.append(dt)
        accepted += out.polish.startswith("accepted")
        assert unlicensed_words(out) == [] and word_count(out.text) <= budget
        print(f"rule     ({word_count(rule.text):2d}/{budget}): {rule.text}")
        print(f"polished ({word_count(out.text):2d}/{budget}): {out.text}")
        print(f"         {dt:.2f} s; {out.polish.split(';')[0]}\n")
    print(f"accepted {accepted}/{len(CASES)}; mean {sum(times) / len(times):.2f} s, max {max(times):.2f} s per sentence")


if __name__ == "__main__":
    main()
