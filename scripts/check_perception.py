#!/usr/bin/env python
"""Runs the default perception analysers on real photos (shipped in scikit-image's wheel) and on
a rendered text card, prints what was found next to what is expected, and exits 1 on a miss.

    .venv/bin/python scripts/check_perception.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cinescribe.demo import sample_photo as photo, text_card  # noqa: E402
from cinescribe.features.analysers import analyse_frames, default_analysers  # noqa: E402

CARD_TEXT = ["THE END", "Directed by Ada Lovelace"]


def centre_in(box, region) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


# name -> (image loader, [(description, predicate over FrameAnalysis)])
CASES = {
    "astronaut.png": [
        ("person", lambda f: any(d.label == "person" for d in f.objects)),
        ("face in upper middle", lambda f: any(centre_in(x.box, (0.25, 0.05, 0.65, 0.45)) for x in f.faces)),
        ("pose", lambda f: len(f.poses) >= 1),
    ],
    "camera.png": [
        ("person", lambda f: any(d.label == "person" for d in f.objects)),
        ("face", lambda f: len(f.faces) >= 1),
    ],
    "chelsea.png": [
        ("cat", lambda f: any(d.label == "cat" for d in f.objects)),
        ("no face", lambda f: not f.faces),
    ],
    "coffee.png": [("cup", lambda f: any(d.label == "cup" for d in f.objects))],
    "motorcycle_left.png": [("motorcycle", lambda f: any(d.label == "motorcycle" for d in f.objects))],
    "rocket.jpg": [("no person", lambda f: not any(d.label == "person" for d in f.objects))],
    "text.png": [],  # informative only: hand-drawn-looking text on a textured background
    "page.png": [("some text", lambda f: len(f.text) >= 1)],
    "text card": [
        (f"reads {t!r}", (lambda t: lambda f: any(x.text == t for x in f.text))(t)) for t in CARD_TEXT
    ],
}


def summary(f) -> str:
    parts = [f"{d.label} {d.score:.2f}" for d in f.objects]
    parts += [f"face {x.score:.2f} ({x.expression} {x.expression_score or 0:.2f})" for x in f.faces]
    parts += [f"pose {p.score:.2f} ({p.posture or '-'})" for p in f.poses]
    parts += [f"text {t.text!r} {t.score:.2f}" for t in f.text]
    return "; ".join(parts) or "(nothing)"


def main() -> int:
    names = list(CASES)
    images = [text_card(CARD_TEXT) if n == "text card" else photo(n) for n in names]
    t0 = time.perf_counter()
    analysers = default_analysers()
    print(f"loaded {', '.join(a.model_id for a in analysers)} in {time.perf_counter() - t0:.1f} s")
    try:
        t0 = time.perf_counter()
        frames = analyse_frames(images, list(range(len(images))), analysers)
        print(f"analysed {len(images)} images in {time.perf_counter() - t0:.1f} s\n")
    finally:
        for a in analysers:
            a.close()
    failed = 0
    print(f"{'image':<20} {'expected':<34} {'ok':<4} found")
    for name, f in zip(names, frames):
        checks = CASES[name] or [("(no expectation)", lambda f: True)]
        for i, (what, pred) in enumerate(checks):
            ok = pred(f)
            failed += not ok
            print(f"{name if i == 0 else '':<20} {what:<34} {'yes' if ok else 'NO':<4} {summary(f) if i == 0 else ''}")
    print(f"\n{'all expectations met' if not failed else f'{failed} expectation(s) failed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
