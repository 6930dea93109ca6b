"""Where a slot is and what else is there: ``setting``, ``place``, ``daylight`` and ImageNet ``object`` facts.

Input: the :class:`FrameAnalysis` of a slot's key frames (ImageNet classes, COCO objects) and of
its densely sampled frames (pixel statistics with greenery).  Output: :class:`Fact` lists whose
evidence names the frames, classes, scores and model ids they rest on.

The ImageNet MobileNetV2 is weak on film frames and often confidently wrong (MODELS.md; on
``vtest.avi`` it says "unicycle" at 0.85 for one frame of a campus path), so no top class is
ever taken as a setting.  A setting or thing is said only when

* its ImageNet classes are on a whitelist that maps them to a describer's word (several
  classes may map to one word; their probabilities are summed per frame), and that sum is at
  least :data:`MIN_MASS` in at least :data:`AGREE` of the key frames (a single key frame needs
  :data:`MIN_MASS_ONE`); or
* the COCO detector's boxes agree across the key frames (a table with cups or glasses: dining;
  traffic lights with vehicles: a street); or
* the pixels show it in most of the slot's frames (a lawn: much finely textured vegetation green
  in the lower half of the picture, which neither foliage seen against the sky nor a flat green
  surface gives).

Leaves (an ``object`` fact, "green leaves") are said from the pixels too: vegetation green over much
of the lower half with the coarse texture of leaves with light between them, in most of the slot's
frames (:func:`foliage_facts`).

``place`` (outdoors / indoors) is said only when an outdoor or indoor setting, or indoor
furniture, was measured; ``daylight`` only outdoors, from the measured brightness.
"""

from __future__ import annotations

import math
from statistics import median
from typing import Iterable, Sequence

from ..features.analysers.base import FrameAnalysis
from ..features.imagenet import MODEL_ID as IMAGENET_MODEL
from .facts import Fact

MIN_MASS = 0.3        # summed probability of a word's classes in one key frame
MIN_MASS_ONE = 0.5    # ... when the slot has a single key frame
AGREE = 2 / 3         # share of key frames that must agree
COCO_MIN_SCORE = 0.35  # the parked vans of vtest.avi score 0.32-0.41 in every frame; false "sports balls" 0.2-0.6
COCO_AGREE = 0.5
LAWN_MIN_GROUND = 0.5   # vtest.avi: 0.73-0.75 of the lower half is green; tree.avi (foliage) 0.37-0.43
LAWN_MAX_TEXTURE = 0.09  # vtest.avi's lawn 0.058-0.061; tree.avi's leaves 0.133-0.143
LAWN_MIN_TEXTURE = 0.025  # grass has blades: a flat green card (0.0-0.01 after compression) is no lawn
LAWN_AGREE = 2 / 3
# Leaves: tree.avi (a tree in leaf through a window) has 0.31-0.45 of the lower half green at a
# texture of 0.132-0.149 in every frame; vtest.avi's lawn is smoother (0.058-0.061), the demo's photos
# and box.mp4 have no green below (0.0-0.01).  A texture above LAWN_MAX_TEXTURE is leaves, not grass.
FOLIAGE_MIN_GROUND = 0.3
FOLIAGE_MIN_TEXTURE = 0.11
FOLIAGE_AGREE = 2 / 3
DAY_MIN_BRIGHTNESS = 0.3   # vtest.avi (overcast day): 0.46-0.48
NIGHT_MAX_BRIGHTNESS = 0.12
# Salience of a setting: under 0.4, so that one said in the last few slots (novelty weight 0.25)
# falls under the writer's 0.1 floor and the place is re-established only every few slots.
SETTING_SALIENCE = 0.39

# ImageNet classes -> the setting a describer would name, and whether it is outdoors or indoors.
SETTINGS: dict[str, tuple[str, str | None]] = {
    "restaurant": ("restaurant", "indoors"),
    "library": ("library", "indoors"),
    "bookshop": ("bookshop", "indoors"),
    "grocery store": ("shop", "indoors"),
    "toyshop": ("shop", "indoors"),
    "shoe shop": ("shop", "indoors"),
    "barbershop": ("barbershop", "indoors"),
    "church": ("church", None),
    "altar": ("church", "indoors"),
    "cinema": ("cinema", None),
    "stage": ("stage", None),
    "seashore": ("shore", "outdoors"),
    "sandbar": ("shore", "outdoors"),
    "lakeside": ("lakeside", "outdoors"),
    "valley": ("valley", "outdoors"),
    "alp": ("mountains", "outdoors"),
    "cliff": ("cliff", "outdoors"),
    "volcano": ("volcano", "outdoors"),
    "seat belt": ("car", None),
}
# How the writer places a slot in each setting (prepositions are function words).
SETTING_PHRASES: dict[str, str] = {
    "restaurant": "in a restaurant", "library": "in a library", "bookshop": "in a bookshop", "shop": "in a shop",
    "barbershop": "in a barbershop", "church": "at a church", "cinema": "at a cinema", "stage": "on a stage",
    "shore": "on a shore", "lakeside": "by a lake", "valley": "in a valley", "mountains": "in the mountains",
    "cliff": "by a cliff", "volcano": "by a volcano", "car": "inside a car", "street": "in a street",
    "dining table": "at a dining table", "lawn": "beside a lawn",
}
SETTING_WORDS: dict[str, tuple[str, ...]] = {"lakeside": ("lake",), "dining table": ("dining", "table")}
OUTDOOR_SETTINGS = {"street", "lawn"}

# ImageNet classes of things COCO's 80 classes lack -> the word a describer would use.
THINGS: dict[str, str] = {
    "hare": "rabbit", "wood rabbit": "rabbit", "Angora": "rabbit",
    "tripod": "tripod",
    "pole": "pole", "flagpole": "pole",
    "chest": "box", "crate": "box", "carton": "box",
    "candle": "candle",
    "grand piano": "piano", "upright": "piano",
    "acoustic guitar": "guitar", "electric guitar": "guitar",
    "violin": "violin",
    "sunglasses": "sunglasses", "sunglass": "sunglasses",
    "fox squirrel": "squirrel",
    "red fox": "fox", "grey fox": "fox", "kit fox": "fox",
}

VEHICLES = {"car", "truck", "bus", "motorcycle", "bicycle"}
STREET_SIGNS = {"traffic light", "stop sign", "parking meter"}
TABLEWARE = {"cup", "wine glass", "bowl", "fork", "knife", "spoon", "bottle"}
INDOOR_FURNITURE = {"bed", "couch", "tv", "refrigerator", "oven", "sink", "toilet", "microwave"}


def _t(f: FrameAnalysis) -> float:
    return round(f.t, 3)


def _needed(n: int, share: float) -> int:
    return max(1, math.ceil(n * share - 1e-9))


def class_groups(keyframes: Sequence[FrameAnalysis], table: dict[str, str]) -> dict[str, dict]:
    """Per word of ``table``: the key frames whose summed probability of the word's classes reaches
    :data:`MIN_MASS` (:data:`MIN_MASS_ONE` for a single key frame), if enough of them agree."""
    n = len(keyframes)
    floor = MIN_MASS if n > 1 else MIN_MASS_ONE
    found: dict[str, dict] = {}
    for f in keyframes:
        mass: dict[str, float] = {}
        seen: dict[str, dict[str, float]] = {}
        for c in f.imagenet:
            word = table.get(c.label)
            if word is not None:
                mass[word] = mass.get(word, 0.0) + c.score
                seen.setdefault(word, {})[c.label] = c.score
        for word, m in mass.items():
            if m >= floor:
                g = found.setdefault(word, {"frames": [], "scores": [], "classes": {}})
                g["frames"].append(_t(f))
                g["scores"].append(round(m, 3))
                for label, score in seen[word].items():
                    g["classes"][label] = round(max(score, g["classes"].get(label, 0.0)), 3)
    return {w: g for w, g in found.items() if len(g["frames"]) >= _needed(n, AGREE)}


def _coco_frames(keyframes: Sequence[FrameAnalysis], labels: Iterable[str]) -> dict[float, dict[str, float]]:
    """Key frame time -> {label: best score} of the COCO ``labels`` seen at :data:`COCO_MIN_SCORE`."""
    labels = set(labels)
    out: dict[float, dict[str, float]] = {}
    for f in keyframes:
        for d in f.objects:
            if d.label in labels and d.score >= COCO_MIN_SCORE:
                best = out.setdefault(_t(f), {})
                best[d.label] = round(max(d.score, best.get(d.label, 0.0)), 3)
    return out


def _coco_pair(keyframes, first: set[str], second: set[str]) -> dict | None:
    """Key frames where both a ``first`` and a ``second`` COCO class are seen, if enough agree."""
    a, b = _coco_frames(keyframes, first), _coco_frames(keyframes, second)
    both = sorted(t for t in a if t in b)
    if not keyframes or len(both) < _needed(len(keyframes), COCO_AGREE):
        return None
    return {"frames": both, "detections": {str(t): {**a[t], **b[t]} for t in both}}


def lawn_evidence(dense: Sequence[FrameAnalysis]) -> dict | None:
    """Greenery of the slot's frames if most show a lawn (see the module docstring), else None."""
    measured = [f for f in dense if f.pixels is not None and f.pixels.green_ground is not None]
    if not measured:
        return None
    stats = [f.pixels for f in measured]
    lawn = [_t(f) for f in measured if f.pixels.green_ground >= LAWN_MIN_GROUND
            and LAWN_MIN_TEXTURE <= (f.pixels.green_texture or 0.0) <= LAWN_MAX_TEXTURE]
    if len(lawn) < _needed(len(stats), LAWN_AGREE):
        return None
    return {"frames": lawn, "of": len(stats),
            "median_green_ground": round(median(p.green_ground for p in stats), 3),
            "median_green_texture": round(median(p.green_texture or 0.0 for p in stats), 3),
            "model": "cinescribe/pixels greenery"}


def foliage_facts(dense: Sequence[FrameAnalysis]) -> list[Fact]:
    """``green leaves`` (a plural ``object`` fact) when most of the slot's frames show leaves: much
    vegetation green below with a leafy texture (:data:`FOLIAGE_MIN_GROUND`, :data:`FOLIAGE_MIN_TEXTURE`)."""
    measured = [f for f in dense if f.pixels is not None and f.pixels.green_ground is not None]
    if not measured:
        return []
    leafy = [_t(f) for f in measured if f.pixels.green_ground >= FOLIAGE_MIN_GROUND
             and (f.pixels.green_texture or 0.0) >= FOLIAGE_MIN_TEXTURE]
    if len(leafy) < _needed(len(measured), FOLIAGE_AGREE):
        return []
    evidence = {"frames": leafy, "of": len(measured), "plural": True,
                "median_green_ground": round(median(f.pixels.green_ground for f in measured), 3),
                "median_green_texture": round(median(f.pixels.green_texture or 0.0 for f in measured), 3),
                "model": "cinescribe/pixels greenery"}
    return [Fact("object", "object:leaves", "green leaves", ("green", "leaves"), SETTING_SALIENCE, evidence)]


def _setting_fact(word: str, evidence: dict) -> Fact:
    return Fact("setting", f"setting:{word}", word, SETTING_WORDS.get(word, tuple(word.split())), SETTING_SALIENCE,
                evidence)


def setting_facts(keyframes: Sequence[FrameAnalysis], dense: Sequence[FrameAnalysis]) -> list[Fact]:
    """``setting`` facts (most salient first), then ``place`` and ``daylight`` when measured."""
    facts: list[Fact] = []
    places: dict[str, list[str]] = {}
    settings = class_groups(keyframes, {c: w for c, (w, _) in SETTINGS.items()})
    for word, g in settings.items():
        place = next(p for c, (w, p) in SETTINGS.items() if w == word and c in g["classes"])
        facts.append(_setting_fact(word, {**g, "model": IMAGENET_MODEL}))
        if place:
            places.setdefault(place, []).append(f"setting:{word}")
    dining = _coco_pair(keyframes, {"dining table"}, TABLEWARE)
    if dining and "restaurant" not in settings:
        facts.append(_setting_fact("dining table", {**dining, "model": "COCO detector"}))
    street = _coco_pair(keyframes, STREET_SIGNS, VEHICLES)
    if street:
        facts.append(_setting_fact("street", {**street, "model": "COCO detector"}))
        places.setdefault("outdoors", []).append("setting:street")
    lawn = lawn_evidence(dense)
    if lawn:
        facts.append(_setting_fact("lawn", lawn))
        places.setdefault("outdoors", []).append("setting:lawn")
    furniture = _coco_frames(keyframes, INDOOR_FURNITURE)
    if keyframes and len(furniture) >= _needed(len(keyframes), COCO_AGREE):
        places.setdefault("indoors", []).append("furniture")
    if len(places) == 1:
        place, because = next(iter(places.items()))
        evidence = {"because": because}
        if "furniture" in because:
            evidence["detections"] = {str(t): d for t, d in furniture.items()}
        facts.append(Fact("place", f"place:{place}", place, (place,), 0.35, evidence))
        if place == "outdoors":
            facts += daylight_facts(dense)
    return sorted(facts, key=lambda f: -f.salience)


def daylight_facts(dense: Sequence[FrameAnalysis]) -> list[Fact]:
    """``day`` or ``night`` outdoors, from the median brightness of the slot's frames."""
    lum = [f.pixels.brightness for f in dense if f.pixels is not None]
    if not lum:
        return []
    m = median(lum)
    evidence = {"median_brightness": round(m, 3), "frames": len(lum), "outdoors": True}
    if m >= DAY_MIN_BRIGHTNESS:
        return [Fact("daylight", "daylight:day", "day", ("daylight",), 0.25, evidence)]
    if m <= NIGHT_MAX_BRIGHTNESS:
        return [Fact("daylight", "daylight:night", "night", ("night",), 0.3, evidence)]
    return []


def thing_facts(keyframes: Sequence[FrameAnalysis]) -> list[Fact]:
    """``object`` facts for whitelisted ImageNet things COCO lacks, agreeing across key frames (salience
    under 0.4 like a setting's: background things are not repeated slot after slot)."""
    coco = {d.label for f in keyframes for d in f.objects}
    facts = []
    for word, g in class_groups(keyframes, THINGS).items():
        if word in coco:
            continue
        salience = min(SETTING_SALIENCE, 0.3 + 0.2 * median(g["scores"]))
        facts.append(Fact("object", f"object:{word}", word, (word,), salience, {**g, "model": IMAGENET_MODEL}))
    return sorted(facts, key=lambda f: -f.salience)


def place_phrase(facts: Sequence[Fact]) -> tuple[str, list[Fact]]:
    """Where the slot is, as a phrase ("beside a lawn, outdoors in daylight"), and the facts it uses."""
    by_kind: dict[str, Fact] = {}
    for f in facts:
        by_kind.setdefault(f.kind, f)
    setting, place, daylight = by_kind.get("setting"), by_kind.get("place"), by_kind.get("daylight")
    parts, used = [], []
    if setting is not None and str(setting.value) in SETTING_PHRASES:
        parts.append(SETTING_PHRASES[str(setting.value)])
        used.append(setting)
    if place is not None:
        used.append(place)
        where = str(place.value)
        if daylight is not None:
            used.append(daylight)
            where += " in daylight" if daylight.value == "day" else " at night"
        parts.append(where)
    return ", ".join(parts), used
