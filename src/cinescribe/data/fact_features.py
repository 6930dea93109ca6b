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
3. With ``vector="facts"`` (the default), what ``describe`` measures over a whole slot joins every
   frame (:mod:`.fact_vector`: 175-d rows): :func:`slot_facts_of` reads the actions ("sits down",
   "picks up", "walks away"), settings ("restaurant", "beach" -> shore), indoors or outdoors and
   day or night, things beyond COCO (a box, a guitar, leaves, a hand), on-screen text, a new
   scene ("later", "elsewhere"), the shot scale, fades, darkness and camera moves; and
   :func:`film_characters` the characters -- the names of a film (words written with a capital
   inside sentences) ranked by first appearance, as ``describe`` numbers its characters, each with
   the gender the film's pronouns give it, and each "a man" / "a woman" a new character.  Each
   slot fact is missed with the same ``miss`` and a spurious action ("walk", "turn", "move",
   "stand") is added with ``spurious`` probability.  ``vector="frames"`` keeps the 99-d
   perception vectors alone.

The facts are read from ``fact_texts`` when given (TV-AD's ``text_gt``, with the names), while
the clip's target is the AD itself (e.g. ``text_gt_wo_char``): the named text says which
character is in view, as ``describe``'s face clustering does, but the model never learns to
write names ``describe`` cannot know.  A clip's scene features are the noise-free vectors of the
``scene_neighbours`` ADs on each side (the scene stream: what the surrounding shots hold).
Everything is seeded per AD, so the same corpus gives the same clips.  The vectors are only as
good as the lexicons: what they miss, the model cannot read.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..errors import InputError
from ..features.analysers.base import Detection, Face, FrameAnalysis, Pose, TextLine
from ..features.encoders.base import l2_normalise
from ..function_words import STOP_WORDS
from ..features.encoders.perception import perception_vector
from ..models.text import words
from .annotations import AD
from .clips import Clip, films_in_order, neighbour_scene
from .fact_vector import FACT_DIM, FRAME_DIM, SlotFacts, fact_rows

VECTORS = ("facts", "frames")

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
# Slot facts (data/fact_vector.py): describe's word -> the words and phrases of an AD that imply it.
ACTION_WORDS: dict[str, tuple[str, ...]] = {
    "walk": ("walk", "walks", "walking", "strides", "strolls", "wanders", "paces", "heads", "marches", "trudges"),
    "run": ("run", "runs", "running", "races", "sprints", "dashes", "rushes", "hurries", "chases", "flees"),
    "enter": ("enter", "enters", "entering", "comes in", "walks in", "steps in", "arrives", "steps inside"),
    "leave": ("leave", "leaves", "leaving", "exits", "walks out", "goes out", "departs", "walks off", "steps out"),
    "approach": ("approach", "approaches", "approaching", "comes over", "walks over", "walks up", "comes up to",
                 "goes over", "joins"),
    "move away": ("moves away", "walks away", "backs away", "steps back", "backs off", "retreats", "pulls away",
                  "turns away", "walks off"),
    "turn": ("turn", "turns", "turning", "spins", "swivels", "whirls", "looks round", "looks around", "looks back"),
    "sit down": ("sits down", "sit down", "sat down", "takes a seat", "sits back down", "sinks into"),
    "stand up": ("stands up", "stand up", "gets up", "get up", "rises", "jumps up", "gets to his feet",
                 "gets to her feet"),
    "lie down": ("lies down", "lie down", "lays down", "lies back", "lays back"),
    "fall": ("falls", "fall", "falling", "collapses", "tumbles", "slumps", "topples"),
    "reach": ("reaches", "reach", "reaching", "grabs", "grab", "points"),
    "bend": ("bends", "bend", "leans", "lean", "leaning", "bows", "stoops", "crouches", "kneels", "ducks"),
    "hold": ("holds", "hold", "holding", "carries", "carry", "carrying", "clutches", "grips", "clasps", "cradles"),
    "lift": ("lifts", "lift", "picks up", "pick up", "picks it up", "picks them up", "hoists", "raises it"),
    "move": ("touches", "taps", "strokes", "pats", "rubs", "wipes", "pours", "opens", "closes", "pushes", "pulls",
             "hands", "gestures", "types", "writes", "shakes"),
    "face each other": ("face each other", "facing each other", "each other", "face to face"),
    "stand": ("stands", "standing", "stand"),
    "sit": ("sits", "sitting", "seated", "sat", "sit"),
    "lie": ("lies", "lying", "lay", "asleep", "sleeps", "sleeping"),
}
SETTING_WORDS: dict[str, tuple[str, ...]] = {
    "restaurant": ("restaurant", "diner", "cafe", "café", "bistro", "cafeteria"), "library": ("library",),
    "bookshop": ("bookshop", "bookstore"), "shop": ("shop", "store", "supermarket", "boutique"),
    "barbershop": ("barbershop", "barber", "salon"), "church": ("church", "chapel", "altar", "cathedral"),
    "cinema": ("cinema", "movie theater", "movie theatre"), "stage": ("stage",),
    "shore": ("beach", "shore", "seashore", "sand", "waves"), "lakeside": ("lake", "lakeside"),
    "valley": ("valley",), "mountains": ("mountain", "mountains", "hills", "peaks"), "cliff": ("cliff", "cliffs"),
    "volcano": ("volcano",),
    "car": ("drives", "driving", "driver's seat", "passenger seat", "back seat", "backseat", "dashboard",
            "in the car", "steering wheel"),
    "street": ("street", "streets", "road", "sidewalk", "pavement", "avenue", "crosswalk", "alley", "traffic"),
    "dining table": ("dinner table", "dining table", "dining room", "eat dinner", "eats dinner"),
    "lawn": ("lawn", "grass", "meadow"),
}
OUTDOOR_SETTINGS = frozenset(("shore", "lakeside", "valley", "mountains", "cliff", "volcano", "street", "lawn"))
INDOOR_SETTINGS = frozenset(("restaurant", "library", "bookshop", "shop", "barbershop"))  # as describe places them
OUTDOOR_WORDS = frozenset("outside outdoors garden park field fields forest woods yard courtyard sky rooftop roof "
                          "parking porch balcony desert river sea ocean jungle countryside village town city "
                          "cemetery".split())
INDOOR_WORDS = frozenset("inside indoors room kitchen office bedroom bathroom corridor hallway hall apartment "
                         "lobby elevator lounge classroom lab laboratory ward cell bar living basement attic "
                         "studio house desk".split())
NIGHT_WORDS = frozenset("night nighttime moonlight moon moonlit evening dusk midnight".split())
THING_WORDS: dict[str, tuple[str, ...]] = {
    "rabbit": ("rabbit", "hare", "bunny"), "tripod": ("tripod",), "pole": ("pole", "flagpole", "lamppost"),
    "box": ("box", "boxes", "crate", "chest", "carton", "package", "parcel"), "candle": ("candle", "candles"),
    "piano": ("piano",), "guitar": ("guitar",), "violin": ("violin", "fiddle"),
    "sunglasses": ("sunglasses", "shades"), "squirrel": ("squirrel",), "fox": ("fox",),
    "leaves": ("leaves", "foliage", "tree", "trees", "bushes", "branches"), "hand": ("hand", "hands", "fingers", "fist"),
}
SCENE_WORDS = frozenset(("later", "elsewhere", "meanwhile"))
SCALE_WORDS = {"close-up": ("closeup", "close up"), "wide": ("aerial", "overhead", "panorama", "skyline",
                                                                      "vista")}
FADE_WORDS = frozenset(("fade", "fades", "faded"))
DARK_WORDS = frozenset(("dark", "darkness", "darkened", "shadows", "dimly", "gloom"))
CAMERA_WORDS = frozenset(("camera", "pans", "zooms", "tilts"))
SPURIOUS_ACTIONS = ("walk", "turn", "move", "stand")
MALE = frozenset(("he", "him", "his", "himself"))
FEMALE = frozenset(("she", "her", "hers", "herself"))
NEW_PERSON = {"man": "male", "woman": "female", "boy": "male", "girl": "female", "guy": "male", "lady": "female",
              "person": None, "stranger": None, "figure": None}
NOT_NAMES = frozenset("i i'm i'll i've i'd ok okay tv dvd".split())


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


FOLIAGE_BEFORE = frozenset("the green autumn fallen dead dry red yellow brown of its".split())
TITLES = frozenset("captain doctor dr mr mrs ms miss lieutenant commander officer detective sergeant agent professor "
                   "uncle aunt sir lord king queen prince princess ensign chief colonel general major".split())


def _phrases(tokens: Sequence[str], table: dict[str, tuple[str, ...]]) -> set[str]:
    padded = " " + " ".join(tokens) + " "
    return {word for word, phrases in table.items() if any(f" {p} " in padded for p in phrases)}


def slot_facts_of(ad: str, characters: Sequence[tuple[int, str | None]] = ()) -> SlotFacts:
    """What ``describe`` would measure over a slot that ``ad`` describes (see the module docstring);
    ``characters`` are the ``(rank, gender)`` pairs of :func:`film_characters`."""
    tokens = words(ad)
    vocab = set(tokens)
    foliage = any(w == "leaves" and i > 0 and tokens[i - 1] in FOLIAGE_BEFORE for i, w in enumerate(tokens))
    actions = _phrases([w for w in tokens if not (foliage and w == "leaves")], ACTION_WORDS)
    if people_raise(vocab):
        actions.add("raise an arm")
    for change, still in (("sit down", "sit"), ("stand up", "stand"), ("lie down", "lie")):
        if change in actions:
            actions.discard(still)
    things = _phrases(tokens, THING_WORDS)
    if "leaves" in vocab and not foliage and not vocab & set(THING_WORDS["leaves"]) - {"leaves"}:
        things.discard("leaves")
    settings = _phrases(tokens, SETTING_WORDS)
    outdoors = bool(vocab & OUTDOOR_WORDS or settings & OUTDOOR_SETTINGS)
    indoors = bool(vocab & INDOOR_WORDS or settings & INDOOR_SETTINGS)
    place = "outdoors" if outdoors and not indoors else "indoors" if indoors and not outdoors else None
    daylight = ("night" if vocab & NIGHT_WORDS else "day") if place == "outdoors" else None
    scale = next(iter(sorted(_phrases(tokens, SCALE_WORDS))), None)
    return SlotFacts(frozenset(actions), frozenset(settings), frozenset(things), place, daylight, tuple(characters),
                     bool(vocab & TEXT_WORDS), bool(vocab & SCENE_WORDS), scale, bool(vocab & FADE_WORDS),
                     bool(vocab & DARK_WORDS), bool(vocab & CAMERA_WORDS))


def people_raise(vocab: set[str]) -> bool:
    """Whether an AD's words raise an arm or hand ("raises his hand", "waves")."""
    return bool(vocab & RAISED and vocab & LIMBS) or "waves" in vocab


def _name_runs(text: str, names: set[str] | None = None) -> list[tuple[int, str]]:
    """``(word position, key)`` of each run of capitalised words in ``text``: every run inside a
    sentence, or with ``names`` every run whose key is a known name (a sentence's first word too).
    A run's key is its first word that is neither a title nor a function word (and, with
    ``names``, is a name): "Captain Picard" -> "Picard", "The Enterprise" -> "Enterprise"."""
    raw = text.split()
    runs: list[tuple[int, str]] = []
    run: list[str] = []
    start = 0

    def close() -> None:
        keys = [r for r in run if r.lower() not in TITLES and r.lower() not in STOP_WORDS]
        key = next((r for r in keys if names is None or r in names), None)
        if key:
            runs.append((start, key))
        run.clear()

    for i, w in enumerate(raw):
        bare = w.strip(".,;:!?\"()[]")
        possessive = bare.endswith(("'s", "’s"))
        bare = bare[:-2] if possessive else bare
        opens = i == 0 or raw[i - 1].endswith((".", "!", "?", ":", '"'))
        capital = bare[:1].isupper() and bare.isalpha() and bare.lower() not in NOT_NAMES
        if capital and (names is not None or not opens or run):
            if not run:
                start = i
            run.append(bare)
            if possessive or w.endswith((",", ".", ";", ":", "!", "?")):
                close()
        elif run:
            close()
    if run:
        close()
    return runs


def film_characters(texts: Sequence[str]) -> list[tuple[tuple[int, str | None], ...]]:
    """Per AD of one film (in time order), its characters as ``(rank, gender)``: the film's names
    (capitalised words inside sentences) ranked by first mention, as ``describe`` numbers the
    characters by first appearance, with the gender the film's pronouns give each name (ADs that
    name one character and use only "he" or only "she"); each "a man", "a woman", ... is a new
    character of its own."""
    names = {key for t in texts for _, key in _name_runs(t)}
    votes: dict[str, Counter] = {}
    mentions = [_name_runs(t, names) for t in texts]
    for t, found in zip(texts, mentions):
        keys = {k for _, k in found}
        vocab = set(words(t))
        if len(keys) == 1 and bool(vocab & MALE) != bool(vocab & FEMALE):
            votes.setdefault(keys.pop(), Counter())["male" if vocab & MALE else "female"] += 1
    gender = {k: c.most_common(1)[0][0] for k, c in votes.items()
              if len(c) == 1 or c.most_common(2)[0][1] > c.most_common(2)[1][1]}
    ranks: dict[str, int] = {}
    last: dict[str, tuple[int, str]] = {}  # gender -> the character of that gender mentioned last
    out = []
    for t, found in zip(texts, mentions):
        tokens = words(t)
        people: list[tuple[int, str | None]] = []
        for _, key in found:
            if key not in ranks:
                ranks[key] = len(ranks) + 1
            if (ranks[key], gender.get(key)) not in people:
                people.append((ranks[key], gender.get(key)))
        for i, w in enumerate(tokens):
            if w in ("a", "an"):
                noun = next((x for x in tokens[i + 1:i + 3] if x in NEW_PERSON), None)
                if noun:
                    ranks[f"#{len(ranks)}"] = len(ranks) + 1
                    people.append((len(ranks), NEW_PERSON[noun]))
        vocab = set(tokens)
        for g, pronouns in (("male", MALE), ("female", FEMALE)):
            if vocab & pronouns and g in last and not any(p[1] == g for p in people):
                people.append(last[g])  # "he" with no man named: the man mentioned last
        for p in people:
            if p[1]:
                last[p[1]] = p
        out.append(tuple(people))
    return out


def noisy_slot(facts: SlotFacts, rng: np.random.Generator, miss: float, spurious: float) -> SlotFacts:
    """``facts`` as a slot's measurements give them: each fact missed with probability ``miss``, and
    with probability ``spurious`` an action that was not there."""
    def kept(items):
        return [x for x in items if rng.random() >= miss]

    def flag(value):
        return bool(value) and rng.random() >= miss

    actions = set(kept(sorted(facts.actions)))
    if rng.random() < spurious:
        actions.add(str(rng.choice(SPURIOUS_ACTIONS)))
    place = facts.place if flag(facts.place) else None
    return SlotFacts(frozenset(actions), frozenset(kept(sorted(facts.settings))), frozenset(kept(sorted(facts.things))),
                     place, facts.daylight if place and flag(facts.daylight) else None,
                     tuple(kept(facts.characters)), flag(facts.text), flag(facts.new_scene),
                     facts.scale if flag(facts.scale) else None, flag(facts.fade), flag(facts.dark), flag(facts.camera))


def _seed(seed: int, text: str, index: int) -> int:
    digest = hashlib.sha256(f"{seed}|{index}|{text}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def fact_clips(ads: Iterable[AD], frames: int = 8, scene_neighbours: int = 2, seed: int = 0,
               miss: float = 0.25, spill: float = 0.25, vector: str = "facts",
               fact_texts: Sequence[str] | None = None) -> dict[str, list[Clip]]:
    """Film -> clips in time order whose frames are :func:`simulated_frames` of their ADs' implied
    facts (the previous and next AD are the neighbours that may spill in), joined with each AD's
    :func:`noisy_slot` facts when ``vector`` is ``"facts"`` (``(frames, 175)``; ``"frames"``:
    ``(frames, 99)``), and whose scene features are the clean vectors of the ``scene_neighbours``
    ADs on each side (none: a zero row).  The facts are read from ``fact_texts[i]`` (parallel to
    ``ads``) when given, else from each AD's own text."""
    if frames < 1:
        raise InputError(f"facts clips need at least one frame per clip, got {frames}")
    if vector not in VECTORS:
        raise InputError(f"unknown fact vector {vector!r}; choose one of: {', '.join(VECTORS)}")
    ads = list(ads)
    if not ads:
        raise InputError("no ADs to turn into fact clips")
    if fact_texts is not None and len(fact_texts) != len(ads):
        raise InputError(f"{len(fact_texts)} fact texts for {len(ads)} ADs; give one per AD")
    texts = [a.text for a in ads] if fact_texts is None else list(fact_texts)
    out: dict[str, list[Clip]] = {}
    for film, rows in films_in_order(ads).items():
        facts = [implied_facts(texts[i]) for i in rows]
        slots = [slot_facts_of(texts[i], chars) for i, chars in zip(rows, film_characters([texts[i] for i in rows]))]
        clean = np.stack([clean_vector(f) for f in facts])
        if vector == "facts":
            clean = np.stack([fact_rows(c[None], s)[0] for c, s in zip(clean, slots)])
        clips = []
        for pos, i in enumerate(rows):
            rng = np.random.default_rng(_seed(seed, ads[i].text, i))
            near = [facts[p] for p in (pos - 1, pos + 1) if 0 <= p < len(rows)]
            feats = simulated_frames(facts[pos], near, frames, rng, miss, spill)
            if vector == "facts":
                feats = fact_rows(feats, noisy_slot(slots[pos], rng, miss, spurious=0.1))
            scene = neighbour_scene(clean, pos, scene_neighbours) if scene_neighbours > 0 else None
            ad = ads[i]
            clips.append(Clip(film, ad.start, ad.end, ad.text, feats, scene, ad.characters))
        out[film] = clips
    return out
