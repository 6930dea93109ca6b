"""Fact clips: the perception vectors an AD's words imply, as training clips for ``describe --model``.

``describe`` measures each slot's key frames with the perception models and can encode the
result as 99-d perception vectors (:func:`cinescribe.features.encoders.perception.perception_vector`).
No film frames paired with professional ADs can be had offline, so a model that writes ADs from
those vectors is trained on the vectors that real ADs *imply*:

1. :func:`implied_facts` reads what a detector could confirm from an AD's words -- COCO objects
   (by a synonym lexicon; people also by pronouns and person nouns), how many people (numerals,
   "both", plural pronouns, he + she), the face's expression (smiles -> happy, glares -> angry,
   ...), the posture (sits -> sitting, walks -> standing, ...) and on-screen text (a sign, a note
   that "reads").
2. :func:`simulated_frames` turns those facts into ``T`` frames of :class:`FrameAnalysis` with
   detector-like noise -- scores drawn from 0.45-0.9, each object missed in a frame with
   ``miss`` probability, faces unseen (backs, long shots) with ``miss``, an occasional spurious
   low-score furniture detection, and with probability ``spill`` a frame that shows a
   neighbouring AD's content instead (the shot before or after, as real slot frames do) -- and
   encodes them with ``perception_vector`` itself, so training and ``describe`` share one encoding.

A clip's scene features are the noise-free vectors of the ``scene_neighbours`` ADs on each side
(the scene stream: what the surrounding shots hold).  Everything is seeded per AD, so the same
corpus gives the same clips.  The vectors are only as good as the lexicon: an AD's actions,
places and character names never reach them, which is what a facts-only describer cannot see.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..errors import InputError
from ..features.analysers.base import Detection, Face, FrameAnalysis, Pose, TextLine
from ..features.encoders.base import l2_normalise
from ..features.encoders.perception import perception_vector
from ..models.text import words
from .annotations import AD
from .clips import Clip, films_in_order, neighbour_scene

PERSON_WORDS = frozenset("""
man men woman women boy boys girl girls guy guys lady ladies people person persons crowd kid kids child
children baby teenager teen officer officers doctor nurse captain soldier soldiers cop cops agent agents
waiter waitress driver student students crew stranger figure mother father mom dad wife husband son
daughter brother sister friend friends couple family audience group guard guards he she him her his hers
himself herself they them their themselves
""".split())
PLURAL_PEOPLE = frozenset("men women boys girls guys ladies people persons crowd kids children officers "
                          "soldiers cops agents students crew couple family audience group guards friends "
                          "they them their themselves both".split())
NUMERALS = {"two": 2, "three": 3, "four": 3, "five": 3, "several": 3, "few": 3}
OBJECT_WORDS: dict[str, tuple[str, ...]] = {
    "bicycle": ("bicycle", "bike", "bikes"), "car": ("car", "cars", "taxi", "cab", "jeep", "sedan", "convertible"),
    "motorcycle": ("motorcycle", "motorbike"), "airplane": ("plane", "airplane", "jet", "aircraft"),
    "bus": ("bus",), "train": ("train",), "truck": ("truck", "van", "pickup", "lorry"),
    "boat": ("boat", "boats", "yacht", "canoe", "raft"), "traffic light": ("traffic",), "stop sign": (),
    "bench": ("bench",), "bird": ("bird", "birds", "pigeon", "crow", "seagull", "duck", "owl"),
    "cat": ("cat", "kitten"), "dog": ("dog", "dogs", "puppy"), "horse": ("horse", "horses"),
    "sheep": ("sheep",), "cow": ("cow", "cows", "cattle"), "elephant": ("elephant",), "bear": ("bear",),
    "zebra": ("zebra",), "giraffe": ("giraffe",), "backpack": ("backpack", "rucksack"),
    "umbrella": ("umbrella",), "handbag": ("handbag", "purse", "bag"), "tie": ("tie",),
    "suitcase": ("suitcase", "luggage", "briefcase"), "sports ball": ("ball", "football", "basketball"),
    "kite": ("kite",), "baseball bat": ("bat",), "skateboard": ("skateboard",), "surfboard": ("surfboard",),
    "tennis racket": ("racket",), "bottle": ("bottle", "bottles", "beer"),
    "wine glass": ("glass", "glasses", "wine", "champagne"), "cup": ("cup", "cups", "mug", "coffee", "tea"),
    "fork": ("fork",), "knife": ("knife",), "spoon": ("spoon",), "bowl": ("bowl",), "banana": ("banana",),
    "apple": ("apple",), "sandwich": ("sandwich",), "orange": (), "broccoli": ("broccoli",),
    "carrot": ("carrot",), "hot dog": ("hotdog",), "pizza": ("pizza",), "donut": ("donut", "doughnut"),
    "cake": ("cake",), "chair": ("chair", "chairs", "stool", "armchair", "seat"), "couch": ("couch", "sofa"),
    "potted plant": ("plant", "plants"), "bed": ("bed",), "dining table": ("table",), "toilet": ("toilet",),
    "tv": ("tv", "television", "monitor", "screen"), "laptop": ("laptop", "computer"), "mouse": (),
    "remote": ("remote",), "keyboard": ("keyboard",), "cell phone": ("phone", "cellphone", "mobile"),
    "microwave": ("microwave",), "oven": ("oven", "stove"), "toaster": ("toaster",), "sink": ("sink",),
    "refrigerator": ("fridge", "refrigerator"), "book": ("book", "books", "notebook"), "clock": ("clock",),
    "vase": ("vase",), "scissors": ("scissors",), "teddy bear": ("teddy",), "hair drier": (),
    "toothbrush": ("toothbrush",),
}
EXPRESSION_WORDS: dict[str, tuple[str, ...]] = {
    "happy": ("smile", "smiles", "smiling", "grin", "grins", "grinning", "laugh", "laughs", "laughing", "beams",
              "chuckles", "giggles"),
    "sad": ("cry", "cries", "crying", "tears", "tearful", "sobs", "sad", "sadly", "weeps", "sorrow"),
    "angry": ("glare", "glares", "glaring", "frown", "frowns", "frowning", "scowl", "scowls", "angry",
              "angrily", "furious", "fumes"),
    "surprise": ("gasp", "gasps", "startled", "surprised", "shocked", "stunned", "astonished", "wide"),
    "fear": ("afraid", "fear", "fearful", "frightened", "scared", "terrified", "nervous", "nervously", "panic",
             "panics", "flinches"),
    "disgust": ("disgust", "disgusted", "grimace", "grimaces", "winces"),
}
POSTURE_WORDS: dict[str, tuple[str, ...]] = {
    "sitting": ("sit", "sits", "sitting", "seated", "sat", "kneels", "kneeling", "crouches"),
    "lying down": ("lie", "lies", "lying", "lay", "asleep", "sleeps", "sleeping"),
    "standing": ("stand", "stands", "standing", "walk", "walks", "walking", "run", "runs", "running", "steps",
                 "approaches", "enters", "strides", "paces", "hurries", "rushes"),
}
RAISED = frozenset(("raises", "raise", "lifts", "waves", "throws"))
LIMBS = frozenset(("arm", "arms", "hand", "hands", "fist", "fists"))
TEXT_WORDS = frozenset("sign signs reads read letter note notes text title caption card newspaper headline "
                       "label message written writes writing poster words".split())
SPURIOUS = ("chair", "dining table", "cup", "bottle", "tv", "potted plant")
_LOOKUP = {w: label for label, ws in OBJECT_WORDS.items() for w in ws}


@dataclass(frozen=True)
class ImpliedFacts:
    """What a detector could confirm of one AD: COCO ``objects`` (``person`` included when
    ``people`` > 0), ``people`` 0-3 (3 = three or more), an ``expression`` and a ``posture`` of the
    perception vocabulary (or None), and whether on-screen ``text`` is mentioned."""

    objects: frozenset[str]
    people: int
    expression: str | None
    posture: str | None
    text: bool


def implied_facts(ad: str) -> ImpliedFacts:
    """The facts ``ad``'s words imply (see the module docstring); capitalised words after the
    first are taken as names, i.e. people."""
    tokens = words(ad)
    raw = ad.split()
    names = sum(1 for w in raw[1:] if w[:1].isupper() and w.strip(".,;:!?'\"").isalpha())
    vocab = set(tokens)
    people = 0
    if vocab & PERSON_WORDS or names:
        people = 1
        if {"he", "him", "his", "himself"} & vocab and {"she", "her", "hers", "herself"} & vocab:
            people = 2
        if vocab & PLURAL_PEOPLE or "other" in vocab and "each" in vocab or names >= 2:
            people = max(people, 2)
        people = max([people] + [NUMERALS[w] for w in tokens if w in NUMERALS])
    objects = {_LOOKUP[w] for w in tokens if w in _LOOKUP}
    if people:
        objects.add("person")
    expression = next((e for e, ws in EXPRESSION_WORDS.items() if vocab & set(ws)), None) if people else None
    posture = next((p for p, ws in POSTURE_WORDS.items() if vocab & set(ws)), None) if people else None
    if people and vocab & RAISED and vocab & LIMBS:
        posture = "arms raised"
    return ImpliedFacts(frozenset(objects), people, expression, posture, bool(vocab & TEXT_WORDS))


BOX = (0.0, 0.0, 1.0, 1.0)


def frame_of(facts: ImpliedFacts, rng: np.random.Generator | None = None, miss: float = 0.0,
             spurious: float = 0.0) -> FrameAnalysis:
    """One frame's perception results for ``facts``; without ``rng`` every fact is seen at score 0.7."""
    def score() -> float:
        return 0.7 if rng is None else float(rng.uniform(0.45, 0.9))

    def seen() -> bool:
        return rng is None or rng.random() >= miss

    fa = FrameAnalysis(t=0.0)
    fa.objects = [Detection(label, score(), BOX) for label in sorted(facts.objects) if seen()]
    if rng is not None and rng.random() < spurious:
        fa.objects.append(Detection(str(rng.choice(SPURIOUS)), float(rng.uniform(0.3, 0.45)), BOX))
    if facts.people and seen():
        expression = facts.expression or "neutral"
        fa.faces = [Face(score(), BOX, expression, score()) for _ in range(facts.people)]
    if facts.people and seen():
        fa.poses = [Pose(score(), {}, facts.posture) for _ in range(facts.people)]
    if facts.text and seen():
        lines = 1 if rng is None else int(rng.integers(1, 4))
        fa.text = [TextLine("text", score(), BOX) for _ in range(lines)]
    return fa


def simulated_frames(facts: ImpliedFacts, neighbours: Sequence[ImpliedFacts], frames: int,
                     rng: np.random.Generator, miss: float = 0.25, spill: float = 0.25,
                     spurious: float = 0.1) -> np.ndarray:
    """``(frames, 99)`` L2-normalised perception vectors of a slot showing ``facts``; each frame
    shows a random one of ``neighbours`` instead with probability ``spill``."""
    rows = []
    for _ in range(frames):
        shown = facts
        if neighbours and rng.random() < spill:
            shown = neighbours[int(rng.integers(len(neighbours)))]
        rows.append(perception_vector(frame_of(shown, rng, miss, spurious)))
    return l2_normalise(np.stack(rows))


def clean_vector(facts: ImpliedFacts) -> np.ndarray:
    """``(99,)`` the noise-free, L2-normalised vector of ``facts``."""
    return l2_normalise(perception_vector(frame_of(facts))[None])[0]


def _seed(seed: int, text: str, index: int) -> int:
    digest = hashlib.sha256(f"{seed}|{index}|{text}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def fact_clips(ads: Iterable[AD], frames: int = 8, scene_neighbours: int = 2, seed: int = 0,
               miss: float = 0.25, spill: float = 0.25) -> dict[str, list[Clip]]:
    """Film -> clips in time order whose frames are :func:`simulated_frames` of their ADs' implied
    facts (the previous and next AD are the neighbours that may spill in) and whose scene features
    are the clean vectors of the ``scene_neighbours`` ADs on each side (none: a zero row)."""
    if frames < 1:
        raise InputError(f"facts clips need at least one frame per clip, got {frames}")
    ads = list(ads)
    if not ads:
        raise InputError("no ADs to turn into fact clips")
    out: dict[str, list[Clip]] = {}
    for film, rows in films_in_order(ads).items():
        facts = [implied_facts(ads[i].text) for i in rows]
        clean = np.stack([clean_vector(f) for f in facts])
        clips = []
        for pos, i in enumerate(rows):
            rng = np.random.default_rng(_seed(seed, ads[i].text, i))
            near = [facts[p] for p in (pos - 1, pos + 1) if 0 <= p < len(rows)]
            feats = simulated_frames(facts[pos], near, frames, rng, miss, spill)
            scene = neighbour_scene(clean, pos, scene_neighbours) if scene_neighbours > 0 else None
            ad = ads[i]
            clips.append(Clip(film, ad.start, ad.end, ad.text, feats, scene, ad.characters))
        out[film] = clips
    return out
