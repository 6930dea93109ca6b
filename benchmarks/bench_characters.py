"""Characters: purity and coverage of the face clustering on videos cutting between real people.

Generates silent videos (``cinescribe.face_videos``: photos of three real people, each shot
framed its own way, some shots holding two people), measures 4 frames per shot with the
perception worker (faces, faceres identity, poses), and clusters them into characters with
``find_characters`` at fixed cosine-distance cuts and with the data-driven cut, with and without
a cast (the cast's reference photo is the whole original photo, framed unlike any shot).

* purity: share of faces whose character's majority person is their own person;
* coverage (inverse purity): share of faces in the character holding most of their person;
* named: with a cast, share of faces whose character carries their person's name.

Shots come from the generator (known cut times), so the table measures identity, not shot
detection.  The photos are stills: real faces, but not film footage (no lighting change, no
pose change beyond mirroring), so these numbers are an upper bound for real film.

    PYTHONPATH=src python benchmarks/bench_characters.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from cinescribe.describe.characters import find_characters, sightings, track_faces
from cinescribe.face_videos import make_face_video, person_photo, shot_plan
from cinescribe.features.analysers.base import FrameAnalysis
from cinescribe.features.analysers.human import HumanAnalyser
from cinescribe.features.analysers.vectors import unit, unpack
from cinescribe.media.frames import sample_frames
from cinescribe.timeline import Interval

A, H, C = "astronaut", "hopper", "cameraman"
VIDEOS = {
    "three alternating": [A, H, C, A, H, C, A, C, H],
    "two-shots": [A, (A, H), C, H, (C, A), A],
    "two people, shot/reverse": [A, H, A, H, A, H],
}
SIZES = {"640x360": (640, 360), "320x180": (320, 180)}
CUTS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, None]
PER_SHOT = 4


def measure(path: Path, truth, analyser: HumanAnalyser) -> tuple[list[FrameAnalysis], list[Interval]]:
    shots = [Interval(s, e) for s, e, _ in truth]
    wanted = [s + (i + 0.5) * (e - s) / PER_SHOT for s, e, _ in truth for i in range(PER_SHOT)]
    frames = []
    with sample_frames(path, 12.0, max_side=640) as stream:
        for f in stream:
            if min(abs(f.t - w) for w in wanted) < 0.04:
                fa = FrameAnalysis(t=f.t)
                analyser.analyse([f.image], [fa])
                frames.append(fa)
    return frames, shots


def who(t: float, box, truth) -> str:
    for s, e, people in truth:
        if s <= t < e:
            return people[0] if len(people) == 1 or (box[0] + box[2]) / 2 < 0.5 else people[1]
    return truth[-1][2][0]


def score(frames, shots, truth, cast, cut) -> dict:
    chars = find_characters(frames, shots, cast, cut)
    expected = sum(len(p) for _, _, p in truth) * PER_SHOT
    pairs = [(c, who(s.t, s.box, truth)) for c in chars for s in c.sightings]
    n = len(pairs)
    if n == 0:
        return {"characters": 0, "people": 0, "purity": 0.0, "coverage": 0.0, "named": 0.0, "faces": 0.0,
                "cut_used": cut}
    majority = sum(Counter(p for c2, p in pairs if c2 is c).most_common(1)[0][1] for c in chars)
    people = {p for _, p in pairs}
    held = sum(Counter(c.id for c, p2 in pairs if p2 == p).most_common(1)[0][1] for p in people)
    named = sum(1 for c, p in pairs if c.name == p) / n if cast else None
    return {"characters": len(chars), "people": len(people), "purity": majority / n, "coverage": held / n,
            "named": named, "faces": n / expected, "cut_used": chars[0].attributes["cut"] if chars else None}


def separation(frames, shots, truth) -> tuple[float | None, float | None]:
    """Lowest cosine between two face tracks of one person, highest between two people's."""
    tracks = track_faces(sightings(frames, shots))
    owner = [Counter(who(s.t, s.box, truth) for s in t.sightings).most_common(1)[0][0] for t in tracks]
    within, between = [], []
    for i in range(len(tracks)):
        for j in range(i + 1, len(tracks)):
            (within if owner[i] == owner[j] else between).append(float(tracks[i].vector @ tracks[j].vector))
    return (min(within) if within else None), (max(between) if between else None)


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = ap.parse_args()
    rows, spread = [], []
    t0 = time.perf_counter()
    with HumanAnalyser(objects=False) as analyser, tempfile.TemporaryDirectory() as tmp:
        cast = {}
        for name in (A, H, C):
            fa = FrameAnalysis(t=0.0)
            analyser.analyse([person_photo(name)], [fa])
            cast[name] = unit(unpack(max(fa.faces, key=lambda f: f.score).descriptor))
        for size_name, size in SIZES.items():
            for video, order in VIDEOS.items():
                path = Path(tmp) / f"{video}-{size_name}.mp4".replace(" ", "_").replace("/", "-")
                truth = make_face_video(path, shot_plan(order), size=size)
                frames, shots = measure(path, truth, analyser)
                low, high = separation(frames, shots, truth)
                spread.append((video, size_name, low, high))
                for with_cast in (False, True):
                    for cut in CUTS:
                        r = score(frames, shots, truth, cast if with_cast else None, cut)
                        rows.append({"video": video, "size": size_name, "cast": with_cast,
                                     "cut": "auto" if cut is None else cut, **r})
    print(f"{'video':26} {'size':8} {'cast':5} {'cut':>5} {'chars':>5} {'people':>6} {'faces':>6} "
          f"{'purity':>6} {'cover':>6} {'named':>6}  (cut used)")
    for r in rows:
        named = "" if r["named"] is None else f"{r['named']:.2f}"
        print(f"{r['video']:26} {r['size']:8} {'yes' if r['cast'] else 'no':5} {str(r['cut']):>5} "
              f"{r['characters']:>5} {r['people']:>6} {r['faces']:>6.2f} {r['purity']:>6.2f} "
              f"{r['coverage']:>6.2f} {named:>6}  ({r['cut_used']})")
    print("\nshot-averaged face tracks: lowest cosine within a person, highest between two people")
    for video, size_name, low, high in spread:
        print(f"{video:26} {size_name:8} within >= {_num(low)}   between <= {_num(high)}")
    print(f"\n{time.perf_counter() - t0:.0f} s (2 shared cores: indicative)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
