#!/usr/bin/env python
"""Prints every track the describer found in a video's slots -- confirmed or not -- with the
numbers its thresholds are judged on (sightings, mean detector score, pose share, median box
area, net speed in heights a second, growth) and the actions read from it, and for each
confirmed hand the carry test's steps against every thing it is seen at (thing and hand steps and
the change of the hand's place on the thing, in thing sizes), so that the thresholds in
``describe/tracks.py`` and ``describe/actions.py`` can be checked on real footage.

It reads the AD script ``describe`` wrote (for the slots) and the perception results that run
cached in the feature store (no model is run):

    PYTHONPATH=src .venv/bin/python scripts/track_report.py OUT/vtest.ad.json [--all]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cinescribe.describe.actions import CARRY_MIN_STEP, _near, arm_share, hand_motion, motion, slot_actions  # noqa: E402
from cinescribe.describe.tracks import track_shots  # noqa: E402
from cinescribe.features.analysers.base import FrameAnalysis  # noqa: E402
from cinescribe.features.analysis_cache import AnalysisCache, decode_fields  # noqa: E402
from cinescribe.features.store import FeatureStore  # noqa: E402


def carry_steps(hand, thing, aspect: float) -> list[str]:
    """One line per step between consecutive frames where ``hand`` is at ``thing``: the thing's
    and the hand's steps and the change of the hand's place on the thing, in thing sizes."""
    at = {s.t: s for s in thing.sightings}
    near = [(h, at[h.t]) for h in hand.sightings if h.t in at and _near(h, at[h.t])]
    lines = []
    for (h0, o0), (h1, o1) in zip(near, near[1:]):
        size = max(o0.width * aspect, o0.height, o1.width * aspect, o1.height)
        step = math.dist((o0.centre[0] * aspect, o0.centre[1]), (o1.centre[0] * aspect, o1.centre[1])) / size
        hand_step = math.dist((h0.centre[0] * aspect, h0.centre[1]), (h1.centre[0] * aspect, h1.centre[1])) / size
        place = math.dist(((h1.centre[0] - o1.centre[0]) * aspect, h1.centre[1] - o1.centre[1]),
                          ((h0.centre[0] - o0.centre[0]) * aspect, h0.centre[1] - o0.centre[1])) / size
        both = "*" if min(step, hand_step) >= CARRY_MIN_STEP else " "
        lines.append(f"   {both} thing #{thing.id} {h0.t:6.2f}->{h1.t:6.2f}  thing {step:.2f}  hand {hand_step:.2f}  "
                     f"place change {place:.2f}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script", type=Path, help="an AD script (.ad.json) written by cinescribe describe")
    parser.add_argument("--all", action="store_true", help="also print tracks that were not confirmed")
    args = parser.parse_args()
    doc = json.loads(args.script.read_text())
    video = doc["video"]
    aspect = video["width"] / video["height"]
    model = doc["models"]["human"]
    cache = AnalysisCache(FeatureStore(), video["fingerprint"], model, doc["config"]["max_side"], "human")
    frames = []
    for key, fields in sorted(cache.records.items()):
        fa = FrameAnalysis(t=key / 1000)
        decode_fields(fields, fa)
        frames.append(fa)
    cuts = [s["start"] for s in doc["timeline"]["shots"][1:]]
    for d in doc["descriptions"]:
        inside = [f for f in frames if d["start"] <= f.t <= d["end"]]
        tracks = track_shots(inside, [c for c in cuts if d["start"] < c < d["end"]], aspect)
        print(f"\n{d['start']:6.2f}-{d['end']:6.2f}  {len(inside)} frames  AD: {d['text']}")
        for tr in (*tracks.people, *tracks.objects, *tracks.hands, *(tracks.things if args.all else ())):
            if not tr.confirmed and not args.all:
                continue
            m = motion(tr, aspect)
            print(f"  {'+' if tr.confirmed else '-'} #{tr.id:<3} {tr.label:<12} seen {len(tr.sightings):2d}  "
                  f"mean {tr.mean_score:.2f}  pose {tr.pose_share:.2f}  area {tr.median_area:.4f}  "
                  f"speed {m['speed']:.2f} h/s  depth {m['depth']:+.2f}  "
                  f"centre {tr.sightings[0].centre[0]:.2f},{tr.sightings[0].centre[1]:.2f}")
        for hand in tracks.confirmed_hands:
            print(f"  hand #{hand.id}: speed {hand_motion(hand, aspect)['speed']:.2f} hand sizes/s, "
                  f"arm share {arm_share(hand, tracks.people):.2f}")
            for thing in tracks.things:
                for line in carry_steps(hand, thing, aspect):
                    print(line)
        for a in slot_actions(tracks):
            print(f"    {a.verb:<16} tracks {list(a.tracks)} {a.direction or ''} {a.object or ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
