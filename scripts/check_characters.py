"""Describe a shot / reverse-shot video of two real people and show which character holds which shot.

No real film clip with two people in alternating shots can be had offline; this makes the
closest stand-in: shots alternating between two real photographs (scikit-image's astronaut and
matplotlib's Grace Hopper, each shot framed differently; ``cinescribe.face_videos``), described by
the full ``describe`` pipeline (its own shot detection, key frames, faces, clustering).  It is
not film footage: no motion, lighting or pose change beyond the framing.

    PYTHONPATH=src python scripts/check_characters.py [--cast] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from PIL import Image

from cinescribe.describe.pipeline import DescribeConfig, describe_video
from cinescribe.face_videos import make_face_video, person_photo, shot_plan

ORDER = ["astronaut", "hopper", "astronaut", "hopper", "astronaut", "hopper"]
NAMES = {"astronaut": "Eileen Collins", "hopper": "Grace Hopper"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cast", action="store_true", help="also name them from a cast of their whole photos")
    ap.add_argument("--out", type=Path, help="keep the video and the AD script here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        video = out / "shot-reverse.mp4"
        truth = make_face_video(video, shot_plan(ORDER, 2.5))
        cast = ""
        if args.cast:
            for who, name in NAMES.items():
                (out / "cast" / name).mkdir(parents=True, exist_ok=True)
                Image.fromarray(person_photo(who)).save(out / "cast" / name / "photo.png")
            cast = str(out / "cast")
        script = describe_video(video, cfg=DescribeConfig(ocr=False, cast=cast)).to_dict()
        (out / "shot-reverse.ad.json").write_text(json.dumps(script, indent=1, ensure_ascii=False), encoding="utf-8")
    chars = script["characters"]
    print(f"{len(chars)} characters; detected shots: "
          + ", ".join(f"{s['start']:.2f}-{s['end']:.2f}" for s in script["timeline"]["shots"]))
    print(f"{'shot':>4} {'time':>11}  {'who':10} characters seen")
    right = 0
    owner: dict[str, set[str]] = {}
    for i, (start, end, people) in enumerate(truth):
        seen = [c for c in chars if any(a["start"] < end and a["end"] > start for a in c["appearances"])]
        for c in seen:
            owner.setdefault(c["id"], set()).add(people[0])
        right += len(seen) == 1
        print(f"{i:>4} {start:5.2f}-{end:5.2f}  {people[0]:10} "
              + ", ".join(f"{c['id']} ({c['name'] or c['label']})" for c in seen))
    pure = all(len(v) == 1 for v in owner.values())
    print(f"shots with exactly one character: {right}/{len(truth)}; each character one person: {pure}")
    for d in script["descriptions"]:
        print(f"  {d['start']:5.2f}-{d['end']:5.2f} {d['text']}  {d['characters']}")


if __name__ == "__main__":
    main()
