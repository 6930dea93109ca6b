"""Facts: what the measurements of one slot's frames support saying, with their evidence.

Input: the :class:`FrameAnalysis` of a slot's key frames (objects, faces, poses, text)
and of its densely sampled frames (pixel statistics), the cut times inside the slot and
whether the slot opens a new scene.  Output: a list of :class:`Fact`, each naming the
words it licenses (``words``), how important it is (``salience``, 0..1) and the evidence
it rests on (frame times, scores, model ids) so that every word of an AD can be traced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import median
from typing import Sequence

from ..features.analysers.base import Box, FrameAnalysis
from ..features.analysers.human import HAND_MODEL, OBJECT_MODEL, POSE_MODEL, model_id
from .actions import Action, hand_at_work, slot_actions
from .tracks import SlotTracks

OBJECT_MIN_SCORE = 0.5
FACE_MIN_SCORE = 0.6
EXPRESSION_MIN_SCORE = 0.5
EXPRESSION_AGREE = 2 / 3  # share of a slot's sampled face readings that must agree (expression_facts)
EXPRESSION_MIN_READINGS = 2
TEXT_MIN_SCORE = 0.8

# COCO class names as a describer would say them.
SPOKEN_LABELS = {
    "dining table": "table",
    "cell phone": "phone",
    "tv": "television",
    "potted plant": "pot plant",
    "sports ball": "ball",
    "hair drier": "hair dryer",
    "wine glass": "wine glass",
    "teddy bear": "teddy bear",
    "truck": "vehicle",  # COCO's truck covers vans and pickups: vtest.avi's parked white vans read as trucks
}
# Facial-expression classes as the visible action a describer says (the guides ask for the
# expression, never the emotion behind it): the verb lemma the writer conjugates.
EXPRESSION_WORDS = {
    "happy": "smile",
    "sad": "frown",
    "angry": "scowl",
    "surprise": "gape",
    "fear": "stare wide-eyed",
    "disgust": "grimace",
}
POSTURE_WORDS = {
    "standing": ("standing", "stands", "stand"),
    "sitting": ("sitting", "sits", "sit"),
    "arms raised": ("arms", "raised", "raises", "raise"),
    "lying down": ("lying", "lies", "lie", "down"),
}
TRACKED_BY = [model_id(OBJECT_MODEL), model_id(POSE_MODEL)]  # the models behind person and object tracks
HANDS_BY = [model_id(HAND_MODEL)]
MAX_COUNTED = 10  # more people than this are "a group of people"
# how much an action matters to a listener (a person's own action outranks what is in view)
ACTION_SALIENCE = {"fall": 0.98, "sit down": 0.96, "stand up": 0.96, "lie down": 0.96, "run": 0.95,
                   "hold": 0.95, "lift": 0.96, "move": 0.9, "walk": 0.94, "enter": 0.93, "leave": 0.93,
                   "face each other": 0.92, "raise an arm": 0.92, "reach": 0.9, "bend": 0.9, "turn": 0.88,
                   "approach": 0.86, "move away": 0.86, "stand": 0.62, "sit": 0.62, "lie": 0.62}


@dataclass(frozen=True)
class Fact:
    """One measured, sayable fact about a slot.

    ``kind`` groups facts (``people``, ``object``, ``expression``, ``posture``, ``action``,
    ``scale``, ``text``, ``fade``, ``light``, ``camera``, ``colour``, ``cuts``, ``scene``,
    ``setting``, ``place``, ``daylight``: :mod:`.setting`);
    ``key`` identifies the fact across slots (used for novelty); ``value`` is what the
    writer realises (a label, a count, a quoted text); ``words`` are the content words
    the fact licenses.
    """

    kind: str
    key: str
    value: str | int
    words: tuple[str, ...]
    salience: float
    evidence: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_dict(cls, d: dict) -> "Fact":
        return cls(d["kind"], d["key"], d["value"], tuple(d["words"]), float(d["salience"]), dict(d["evidence"]))

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "key": self.key,
            "value": self.value,
            "words": list(self.words),
            "salience": round(self.salience, 3),
            "evidence": self.evidence,
        }


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _height(box: Box) -> float:
    return max(0.0, box[3] - box[1])


def _times(frames: Sequence[FrameAnalysis], pred) -> list[float]:
    return [round(f.t, 3) for f in frames if pred(f)]


def people_facts(keyframes: Sequence[FrameAnalysis]) -> list[Fact]:
    """Number of people (the larger of person detections and faces per frame, median over frames)."""
    if not keyframes:
        return []
    per_frame = []
    for f in keyframes:
        persons = sum(1 for d in f.objects if d.label == "person" and d.score >= OBJECT_MIN_SCORE)
        faces = sum(1 for x in f.faces if x.score >= FACE_MIN_SCORE)
        per_frame.append(max(persons, faces))
    count = int(round(median(per_frame)))
    if count == 0:
        return []
    if count == 1:
        words = ("person",)
    elif count <= MAX_COUNTED:
        words = (number_word(count), "people")
    else:
        words = ("group", "people")
    seen = _times(keyframes, lambda f: any(d.label == "person" for d in f.objects) or bool(f.faces))
    return [
        Fact("people", f"people:{min(count, 7)}", count, words, 1.0,
             {"frames": seen, "per_frame_counts": per_frame})
    ]


@lru_cache(maxsize=1)
def inflect_engine():
    """The one ``inflect`` engine (building one takes a fifth of a second)."""
    import inflect

    return inflect.engine()


def number_word(n: int) -> str:
    return inflect_engine().number_to_words(n)


def verb_forms(lemma_phrase: str) -> tuple[str, ...]:
    """Every word of ``lemma_phrase`` with the forms of its head verb (lemminflect): the words a
    verb fact licenses ("smile" -> smile, smiles, smiling, smiled...)."""
    from lemminflect import getAllInflections

    head, *rest = lemma_phrase.split()
    forms = {f for fs in getAllInflections(head, upos="VERB").values() for f in fs}
    return tuple(dict.fromkeys([head, *sorted(forms), *rest]))


def _count_words(count: int) -> tuple[str, ...]:
    if count == 1:
        return ("person",)
    return (number_word(count), "people") if count <= MAX_COUNTED else ("group", "people")


def tracked_people_facts(tracks: SlotTracks) -> list[Fact]:
    """Number of people = number of confirmed person tracks (:mod:`.tracks`), with each track's
    frames, boxes and scores as evidence and the number of them visible in each sampled frame."""
    people = tracks.confirmed_people
    if not people:
        return []
    count = len(people)
    per_frame = [sum(1 for tr in people if t in {round(x, 3) for x in tr.times}) for t in tracks.times]
    return [Fact("people", f"people:{min(count, 7)}", count, _count_words(count), 1.0,
                 {"frames": tracks.times, "tracks": [tr.id for tr in people], "per_frame_counts": per_frame,
                  "track_evidence": [tr.evidence() for tr in people], "models": TRACKED_BY})]


def tracked_object_facts(tracks: SlotTracks) -> list[Fact]:
    """Non-person COCO objects whose tracks are confirmed (seen across the slot with a good mean score)."""
    best: dict[str, list] = {}
    for tr in tracks.confirmed_objects:
        best.setdefault(tr.label, []).append(tr)
    facts = []
    for label, found in best.items():
        score = max(tr.mean_score for tr in found)
        area = max(s.width * s.height for tr in found for s in tr.sightings)
        spoken = SPOKEN_LABELS.get(label, label)
        salience = min(1.0, 0.4 + 0.3 * score + 0.6 * area ** 0.5)
        frames = sorted({round(t, 3) for tr in found for t in tr.times})
        facts.append(Fact("object", f"object:{label}", spoken, tuple(spoken.split()), salience,
                          {"frames": frames, "tracks": [tr.id for tr in found], "mean_score": round(score, 3),
                           "max_area": round(area, 3), "track_evidence": [tr.evidence() for tr in found],
                           "models": TRACKED_BY[:1] + sorted({tr.named_by["model"] for tr in found if tr.named_by})}))
    return sorted(facts, key=lambda x: -x.salience)


def tracked_hand_facts(tracks: SlotTracks, shift: tuple[float, float] = (0.0, 0.0)) -> list[Fact]:
    """A hand in view (an ``object`` fact, "hand"): confirmed hand tracks that are hands at work
    (:func:`~.actions.hand_at_work`: moving against the scene; a hand-like patch of a still photo
    is not) when no person is confirmed -- a close shot of hands; with people in view their hands
    go unsaid."""
    if tracks.confirmed_people:
        return []
    work = {h.id: why for h in tracks.confirmed_hands if (why := hand_at_work(h, tracks, shift))}
    hands = [h for h in tracks.confirmed_hands if h.id in work]
    if not hands:
        return []
    score = max(tr.mean_score for tr in hands)
    area = max(tr.median_area for tr in hands)
    frames = sorted({round(t, 3) for tr in hands for t in tr.times})
    return [Fact("object", "object:hand", "hand", ("hand",), min(1.0, 0.4 + 0.3 * score + 0.6 * area ** 0.5),
                 {"frames": frames, "tracks": [tr.id for tr in hands], "mean_score": round(score, 3),
                  "at_work": list(work.values()), "track_evidence": [tr.evidence() for tr in hands],
                  "models": HANDS_BY})]


def action_facts(actions: Sequence[Action]) -> list[Fact]:
    """One ``action`` fact per verb (and held object): how many tracked people do it, which tracks."""
    groups: dict[tuple[str, str | None], list[Action]] = {}
    for a in actions:
        groups.setdefault((a.verb, a.object), []).append(a)
    facts = []
    for (verb, obj), acts in groups.items():
        ids = sorted({i for a in acts for i in a.tracks})
        count = sum(a.people for a in acts)
        spoken = SPOKEN_LABELS.get(obj, obj) if obj else None
        words = {*verb_forms(verb), *(_count_words(count) if count else ())}
        if 0 < count <= MAX_COUNTED:
            words.add(number_word(count))
        if spoken or not count:  # a hand holds it, or a hand alone does it
            words |= set(spoken.split() if spoken else ()) | {"hand"}
        if verb == "hold" and not spoken:  # a carried thing with no name (the writer's "holds something")
            words.add("something")
        directions = Counter(a.direction for a in acts if a.direction)
        evidence = {"tracks": ids, "count": count, "frames": sorted({t for a in acts for t in a.frames}),
                    "measures": [a.measure for a in acts],
                    "models": TRACKED_BY + (HANDS_BY if obj or not count else [])}
        if spoken:
            evidence["object"] = spoken
        if directions:
            evidence["direction"] = directions.most_common(1)[0][0]
        key = f"action:{verb}" + (f":{obj}" if obj else "")
        facts.append(Fact("action", key, verb, tuple(sorted(words)), ACTION_SALIENCE.get(verb, 0.85), evidence))
    return sorted(facts, key=lambda f: (-f.salience, -f.evidence["count"]))


def object_facts(keyframes: Sequence[FrameAnalysis]) -> list[Fact]:
    """Non-person COCO objects seen in at least a third of the key frames."""
    best: dict[str, tuple[float, float, list[float]]] = {}
    for f in keyframes:
        for d in f.objects:
            if d.label == "person" or d.score < OBJECT_MIN_SCORE:
                continue
            score, area, times = best.get(d.label, (0.0, 0.0, []))
            if not times or times[-1] != round(f.t, 3):
                times = [*times, round(f.t, 3)]
            best[d.label] = (max(score, d.score), max(area, _area(d.box)), times)
    facts = []
    for label, (score, area, times) in best.items():
        if len(times) * 3 < len(keyframes):
            continue
        spoken = SPOKEN_LABELS.get(label, label)
        salience = min(1.0, 0.4 + 0.3 * score + 0.6 * area ** 0.5)
        facts.append(Fact("object", f"object:{label}", spoken, tuple(spoken.split()), salience,
                          {"frames": times, "max_score": round(score, 3), "max_area": round(area, 3)}))
    return sorted(facts, key=lambda x: -x.salience)


def expression_facts(keyframes: Sequence[FrameAnalysis], sampled: Sequence[FrameAnalysis] = ()) -> list[Fact]:
    """The most common non-neutral expression, if it holds in most frames with a face.

    With ``sampled`` (the slot's tracking frames, about two a second), the expression must be read
    (at :data:`EXPRESSION_MIN_SCORE`) in at least :data:`EXPRESSION_AGREE` of all the face readings
    of those frames, and in :data:`EXPRESSION_MIN_READINGS` or more: the emotion model reads a
    squint as "angry" or "sad" by turns (the demo's cameraman: sad 0.49-0.69 in 6 of 11 frames,
    angry 0.36-0.58 in 5), while a smile reads "happy" at 0.98-1.0 in every frame.
    """
    frames = sampled if sampled else keyframes
    faces = [x for f in frames for x in f.faces if x.score >= FACE_MIN_SCORE]
    labels = [x.expression for x in faces
              if x.expression and (x.expression_score or 0) >= EXPRESSION_MIN_SCORE]
    if not labels:
        return []
    label, n = Counter(labels).most_common(1)[0]
    if label not in EXPRESSION_WORDS or n * 2 <= len(labels):
        return []
    if sampled and (n < EXPRESSION_MIN_READINGS or n < EXPRESSION_AGREE * len(faces)):
        return []
    verb = EXPRESSION_WORDS[label]
    times = _times(frames, lambda f: any(x.expression == label for x in f.faces))
    return [Fact("expression", f"expression:{label}", verb, verb_forms(verb), 0.7,
                 {"frames": times, "votes": n, "faces": len(faces) if sampled else len(labels)})]


def posture_facts(keyframes: Sequence[FrameAnalysis]) -> list[Fact]:
    """The posture most poses agree on (``standing``, ``sitting``, ``arms raised``, ``lying down``)."""
    postures = [p.posture for f in keyframes for p in f.poses if p.posture]
    if not postures:
        return []
    label, n = Counter(postures).most_common(1)[0]
    if n * 2 <= len(postures):
        return []
    frames = _times(keyframes, lambda f: any(p.posture == label for p in f.poses))
    return [Fact("posture", f"posture:{label}", label, POSTURE_WORDS.get(label, tuple(label.split())), 0.6,
                 {"frames": frames, "votes": n, "poses": len(postures)})]


def scale_facts(keyframes: Sequence[FrameAnalysis], tracks: SlotTracks | None = None) -> list[Fact]:
    """Shot scale from the largest face or object: close-up, or wide shot of small people (with
    ``tracks``, the confirmed tracks' median sizes stand for the key frames' detections)."""
    if not keyframes:
        return []
    face_h = max((_height(x.box) for f in keyframes for x in f.faces if x.score >= FACE_MIN_SCORE), default=0.0)
    if tracks is not None:
        obj_area = max((tr.median_area for tr in (*tracks.confirmed_objects, *tracks.confirmed_people)), default=0.0)
        person_h = max((median(s.height for s in tr.sightings) for tr in tracks.confirmed_people), default=0.0)
    else:
        obj_area = max((_area(d.box) for f in keyframes for d in f.objects if d.score >= OBJECT_MIN_SCORE),
                       default=0.0)
        person_h = max((_height(d.box) for f in keyframes for d in f.objects
                        if d.label == "person" and d.score >= OBJECT_MIN_SCORE), default=0.0)
    if face_h >= 0.3 or (obj_area >= 0.45 and person_h == 0.0):
        return [Fact("scale", "scale:close-up", "close-up", ("close-up",), 0.5,
                     {"max_face_height": round(face_h, 3), "max_object_area": round(obj_area, 3)})]
    if 0.0 < person_h < 0.3 and face_h < 0.1:
        return [Fact("scale", "scale:wide", "wide shot", ("wide", "shot"), 0.4,
                     {"max_person_height": round(person_h, 3)})]
    return []


def text_facts(keyframes: Sequence[FrameAnalysis]) -> list[Fact]:
    """On-screen text read with high confidence, lines joined in reading order."""
    best: tuple[float, str, list[float]] | None = None
    for f in keyframes:
        lines = sorted((t for t in f.text if t.score >= TEXT_MIN_SCORE and t.text.strip()),
                       key=lambda t: (round(t.box[1], 2), t.box[0]))
        if not lines:
            continue
        joined = " ".join(t.text.strip() for t in lines)
        score = min(t.score for t in lines)
        if best is None or len(joined) > len(best[1]):
            best = (score, joined, [round(f.t, 3)])
        elif joined == best[1]:
            best[2].append(round(f.t, 3))
    if best is None:
        return []
    score, joined, frames = best
    return [Fact("text", f"text:{joined.lower()}", joined, tuple(joined.split()), 0.9,
                 {"frames": frames, "min_score": round(score, 3)})]


def pixel_facts(frames: Sequence[FrameAnalysis]) -> list[Fact]:
    """Fades, darkness, camera pans and the dominant colour, from pixel statistics."""
    stats = [(f.t, f.pixels) for f in frames if f.pixels is not None]
    if not stats:
        return []
    facts: list[Fact] = []
    lum = [p.brightness for _, p in stats]
    n = len(lum)
    head, tail = lum[: max(1, n // 4)], lum[-max(1, n // 4):]
    if n >= 3 and max(head) > 0.15 and tail[-1] < 0.06:
        facts.append(Fact("fade", "fade:out", "out", ("fades", "black"), 0.8,
                          {"frames": [round(stats[0][0], 3), round(stats[-1][0], 3)],
                           "brightness": [round(lum[0], 3), round(lum[-1], 3)]}))
    elif n >= 3 and lum[0] < 0.06 and min(tail) > 0.15:
        facts.append(Fact("fade", "fade:in", "in", ("fades", "black"), 0.7,
                          {"frames": [round(stats[0][0], 3), round(stats[-1][0], 3)],
                           "brightness": [round(lum[0], 3), round(lum[-1], 3)]}))
    elif median(lum) < 0.18:
        facts.append(Fact("light", "light:dark", "dark", ("dark", "darkness"), 0.35,
                          {"median_brightness": round(median(lum), 3)}))
    shifts = [p.shift for _, p in stats if p.shift is not None]
    if len(shifts) >= 2:
        dx = median(s[0] for s in shifts)
        dy = median(s[1] for s in shifts)
        agree_x = sum(1 for s in shifts if s[0] * dx > 0 and abs(s[0]) > 0.02) / len(shifts)
        agree_y = sum(1 for s in shifts if s[1] * dy > 0 and abs(s[1]) > 0.02) / len(shifts)
        if abs(dx) >= abs(dy) and abs(dx) > 0.03 and agree_x >= 0.6:
            direction = "left" if dx > 0 else "right"  # content moving right means the camera turns left
            facts.append(Fact("camera", f"camera:pan-{direction}", f"pans {direction}", ("camera", "pans", direction),
                              0.45, {"median_shift_x": round(dx, 4), "agreeing_pairs": round(agree_x, 2)}))
        elif abs(dy) > 0.03 and agree_y >= 0.6:
            direction = "up" if dy > 0 else "down"
            facts.append(Fact("camera", f"camera:tilt-{direction}", f"tilts {direction}",
                              ("camera", "tilts", direction), 0.4,
                              {"median_shift_y": round(dy, 4), "agreeing_pairs": round(agree_y, 2)}))
    hues = [p.hue for _, p in stats if p.hue]
    if hues and len(hues) * 2 > len(stats):
        hue, votes = Counter(hues).most_common(1)[0]
        if votes * 2 > len(stats):
            facts.append(Fact("colour", f"colour:{hue}", hue, (hue,), 0.2,
                              {"votes": votes, "frames": len(stats)}))
    return facts


def slot_facts(
    keyframes: Sequence[FrameAnalysis],
    dense: Sequence[FrameAnalysis],
    cuts: Sequence[float] = (),
    new_scene: int | None = None,
    tracks: SlotTracks | None = None,
    setting: bool = True,
    sampled: Sequence[FrameAnalysis] = (),
) -> list[Fact]:
    """All facts of one slot, most salient first; ``new_scene`` is the scene index the slot opens;
    ``setting`` adds the setting, place, daylight and ImageNet-thing facts (:mod:`.setting`);
    ``sampled`` are the slot's tracking frames (faces read about twice a second), over which an
    expression must agree.

    With ``tracks`` (people, objects and hands followed over the slot's sampled frames), people
    are counted and objects kept by their tracks, and what people do comes from
    :func:`~.actions.slot_actions` instead of one frame's posture; without, from the key frames.
    """
    from .regions import check_labels, name_held  # regions builds on actions
    from .setting import foliage_facts, setting_facts, thing_facts  # setting builds on Fact

    if tracks is not None:
        shifts = [f.pixels.shift for f in dense if f.pixels is not None and f.pixels.shift is not None]
        pan = (median(s[0] for s in shifts), median(s[1] for s in shifts)) if shifts else (0.0, 0.0)
        check_labels(tracks, keyframes)
        actions = action_facts(name_held(slot_actions(tracks, pan), keyframes))
        holding = any("object" in a.evidence or not a.evidence["count"] for a in actions)  # the hand is said with its action
        seen = [*tracked_people_facts(tracks), *actions, *tracked_object_facts(tracks),
                *([] if holding else tracked_hand_facts(tracks, pan))]
    else:
        seen = [*people_facts(keyframes), *posture_facts(keyframes), *object_facts(keyframes)]
    facts = [
        *seen,
        *expression_facts(keyframes, sampled),
        *scale_facts(keyframes, tracks),
        *text_facts(keyframes),
        *pixel_facts(dense),
        *(setting_facts(keyframes, dense) + thing_facts(keyframes) + foliage_facts(dense) if setting else []),
    ]
    if new_scene is not None:
        facts.append(Fact("scene", f"scene:{new_scene}", new_scene, ("elsewhere", "new", "scene", "changes"), 0.3, {"scene": new_scene}))
    if len(cuts) >= 2:
        facts.append(Fact("cuts", "cuts:quick", len(cuts), ("quick", "cuts"), 0.25,
                          {"cuts": [round(c, 3) for c in cuts]}))
    return sorted(facts, key=lambda f: -f.salience)
