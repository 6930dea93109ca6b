"""What a hand holds, and which animal or vehicle a detector's box is, from ImageNet crops.

The crops are those round hands and detected objects (:attr:`FrameAnalysis.regions`,
:mod:`cinescribe.features.analysers.imagenet`).

Two uses, each from key frames that agree:

* **What a hand holds.**  A hand at work (:func:`~.actions.hand_at_work`) with no COCO thing
  found in it "moves", or "holds" a thing it carries (:func:`~.actions.carried`) but cannot
  name; when the crops round the hand agree on a thing on the :data:`HELD` whitelist, the hand
  holds that thing (``box.mp4``: the yellow box COCO reads as book, cake or
  bed at 0.25-0.46 is a carton, crate or chest round the hand).
* **A detector's animal or vehicle class overruled or vetoed.**  COCO's class of a small or
  unusual thing is a guess (the demo's tabby cat reads as a dog; ``vtest.avi``'s parked white vans
  as car and truck).  When the crops round a tracked animal agree on another COCO animal's
  ImageNet classes (:data:`ANIMALS`) the track takes that class; when they agree on no animal at
  all, the animal is not said.  Crops round cars and trucks that agree on van classes make them
  vans.

Agreement: a word's summed probability in one crop reaches :data:`MIN_MASS`, in at least
:data:`MIN_CROPS` crops from different key frames and in more than half of the key frames that
have crops of that source; when only one key frame has such crops (the demo's cat is in view in
one key frame of its slot), one crop must reach :data:`MIN_MASS_ONE` (the cat's crops: 0.86-0.95
for the cat classes; the dog classes nil).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..features.analysers.base import FrameAnalysis, Region
from ..features.analysers.imagenet import ANALYSER_ID
from ..features.imagenet import class_names
from .actions import Action
from .tracks import SlotTracks, Track, iou

MIN_MASS = 0.3
MIN_MASS_ONE = 0.5
MIN_CROPS = 2

# ImageNet classes of things a hand holds -> the word a describer uses.
HELD: dict[str, str] = {
    "carton": "box", "crate": "box", "chest": "box", "packet": "box", "pencil box": "box",
    "water bottle": "bottle", "pop bottle": "bottle", "beer bottle": "bottle", "wine bottle": "bottle",
    "pill bottle": "bottle", "water jug": "bottle",
    "coffee mug": "cup", "cup": "cup", "espresso": "cup",
    "cellular telephone": "phone", "envelope": "envelope", "book jacket": "book",
}
# ImageNet index ranges (inclusive) of COCO's animal classes.
_ANIMAL_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "bird": ((7, 24), (80, 100), (127, 146)),
    "dog": ((151, 268),),
    "cat": ((281, 285),),
    "bear": ((294, 297),),
    "horse": ((339, 339),),
    "zebra": ((340, 340),),
    "cow": ((345, 347),),
    "sheep": ((348, 348),),
    "elephant": ((101, 101), (385, 386)),
}
VANS = frozenset({"minivan", "moving van", "police van"})
VEHICLE_CLASSES = frozenset({"car", "truck", "bus"})


def animal_classes() -> dict[str, str]:
    """ImageNet class name -> the COCO animal class it is one of (:data:`_ANIMAL_RANGES`)."""
    names = class_names()
    return {names[i]: animal for animal, spans in _ANIMAL_RANGES.items() for lo, hi in spans
            for i in range(lo, hi + 1)}


ANIMALS = frozenset(_ANIMAL_RANGES)


def _mass(region: Region, table: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for label in region.labels:
        word = table.get(label.label)
        if word is not None:
            out[word] = out.get(word, 0.0) + label.score
    return out


def agreed(crops: Sequence[tuple[float, Region]], table: dict[str, str]) -> dict[str, dict]:
    """Per word of ``table``: the crops (``(frame time, region)``) whose summed probability of the
    word's classes reaches :data:`MIN_MASS`, when they agree (see the module docstring)."""
    frames = {t for t, _ in crops}
    floor, need = (MIN_MASS, MIN_CROPS) if len(frames) > 1 else (MIN_MASS_ONE, 1)
    found: dict[str, dict] = {}
    for t, region in crops:
        for word, m in _mass(region, table).items():
            if m >= floor:
                g = found.setdefault(word, {"frames": set(), "scores": [], "classes": {}})
                g["frames"].add(t)
                g["scores"].append(round(m, 3))
                for label in region.labels:
                    if table.get(label.label) == word:
                        g["classes"][label.label] = round(max(label.score, g["classes"].get(label.label, 0.0)), 3)
    out = {}
    for word, g in found.items():
        if len(g["frames"]) >= need and len(g["frames"]) * 2 > len(frames):
            out[word] = {"frames": sorted(g["frames"]), "of": len(frames), "scores": g["scores"],
                         "classes": g["classes"], "model": ANALYSER_ID}
    return out


def _crops(keyframes: Sequence[FrameAnalysis], source: str, track: Track | None = None) -> list[tuple[float, Region]]:
    """The key frames' crops of ``source``; with ``track``, only those on the track's box in that frame."""
    at = {round(s.t, 3): s for s in track.sightings} if track is not None else {}
    out = []
    for f in keyframes:
        t = round(f.t, 3)
        for r in f.regions:
            if r.source != source:
                continue
            if track is not None and (t not in at or iou(at[t].box, r.box) < 0.5):
                continue
            out.append((t, r))
    return out


def held_thing(keyframes: Sequence[FrameAnalysis]) -> tuple[str, dict] | None:
    """The :data:`HELD` word the crops round the key frames' hands agree on (the best one), or None."""
    found = agreed(_crops(keyframes, "hand"), HELD)
    if not found:
        return None
    word = max(found, key=lambda w: (len(found[w]["frames"]), sum(found[w]["scores"])))
    return word, found[word]


def name_held(actions: Sequence[Action], keyframes: Sequence[FrameAnalysis]) -> list[Action]:
    """``actions`` with a lone hand's ``move`` made ``hold`` of the thing its crops agree on, and
    a ``hold`` of a carried thing with no name (:func:`~.actions.carried`) given that name."""
    held = None
    out = []
    for a in actions:
        if (a.verb == "move" and a.people == 0) or (a.verb == "hold" and a.object is None):
            held = held if held is not None else (held_thing(keyframes) or ())
            if held:
                word, evidence = held
                a = replace(a, verb="hold", object=word, measure={**a.measure, "named_by": evidence})
        out.append(a)
    return out


def check_labels(tracks: SlotTracks, keyframes: Sequence[FrameAnalysis]) -> None:
    """Overrule or veto the COCO class of confirmed animal and vehicle object tracks from the
    ImageNet classes of the crops round them (see the module docstring); a changed track keeps the
    crops' evidence in ``named_by`` and its detector class in ``detected``; a vetoed one is no
    longer confirmed."""
    table = animal_classes()
    for tr in tracks.confirmed_objects:
        crops = _crops(keyframes, tr.label, tr)
        if tr.label in ANIMALS and crops:
            found = agreed(crops, table)
            if tr.label in found:
                continue
            if found:
                animal = max(found, key=lambda w: sum(found[w]["scores"]))
                tr.named_by, tr.detected, tr.label = found[animal], tr.label, animal
            elif not any(_mass(r, table) for _, r in crops):
                tr.named_by, tr.confirmed = {"crops": len(crops), "no_animal": True, "model": ANALYSER_ID}, False
        elif tr.label in VEHICLE_CLASSES:
            found = agreed(crops, {c: "van" for c in VANS})
            if "van" in found:
                tr.named_by, tr.detected, tr.label = found["van"], tr.label, "van"
