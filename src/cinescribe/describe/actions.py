"""What people do, read off their tracks over time (:mod:`.tracks`).

Each rule compares a track's early and late sightings (its first and last thirds) or measures
its motion over the whole track, in units of the person's own height so that a far, small
walker and a near one read alike. Speeds are net displacements of the foot point (the bottom
centre of the box) per second, after removing the camera's own pan (the pixel analyser's
global shift), so a pan is not a walk.

Thresholds, read off ``vtest.avi`` at 2 frames a second (``scripts/track_report.py``; people
0.06-0.2 of the frame high): people standing still (talking by the lamp post, waiting at the
path's end) move 0.02-0.10 heights a second (box jitter); people walking across the picture
0.3-1.2, and those walking towards or away from the camera along the path less across the
picture (0.14-0.25) while their boxes grow or shrink by 22-31% over the slot. So
:data:`WALK_MIN_SPEED` = 0.25 heights a second or a height change of :data:`DEPTH_MIN_LOG` (25%)
is a walk, :data:`STILL_MAX_SPEED` = 0.15 keeps "stand" for people measured as still, and
:data:`RUN_MIN_SPEED` = 1.6 is above a brisk walk (1.4 m/s over 1.7 m is 0.8 heights a second; a
run is 3+ m/s, about 2).

Posture changes (sit down, stand up, lie down, fall), arms (raise an arm, reach), bending and
turning use the MoveNet keypoints of the sightings; each needs two sightings agreeing at each end.

Hands. The hand detector finds hands in still pictures too (the demo's photo of a cup on a saucer
reads as a hand at 0.47-0.87 in every frame, its cat and motorcycle photos as fists at 0.3-0.5), so a
hand is a hand at work only when a confirmed person holds it, or when it moves against the scene
*and* an arm leads to it.  Hand tracks' median step (camera shift removed, in hand sizes a second,
at 2 frames a second): the demo's steady photos 0.03-0.07, but its zoomed motorcycle photo
0.21-0.29 (a zoom is not removed); real hands turning a bottle (``cup.mp4``) 0.26-1.7 and moving a
box (``box.mp4``) 0.13-0.88: :data:`HAND_MIN_SPEED` = 0.1.  The arm: the person detector reads a
bare forearm as a weak "person" (0.3-0.53: too weak to confirm a person) whose box overlaps the
hand in 4 of 5 to all of the sightings of ``box.mp4``'s and ``cup.mp4``'s hands; the demo's hands
in photos of a cup, a cat and a motorcycle have no person box at all:
:data:`ARM_MIN_SHARE` = 0.5 of the hand's sightings.

Carrying.  What a hand holds is often no COCO object the detector is sure of, so a hand at work
also holds a class-free *thing* (:mod:`.tracks`: any non-person box, weak ones included) that it
carries (:func:`carried`): between consecutive frames where an arm reaches the hand and the hand
is at the thing, both move and the hand keeps its place on the thing.  Measured on ``box.mp4`` at
2 frames a second, in thing sizes per step: the box (read as book, cake or suitcase) and the
hand-like print on its side move together in two steps (box 0.15-0.22, print 0.19-0.26, the
print's place on the box changing by 0.045-0.055: a fifth to a third of the box's step), while
the table a hand rests by moves 0.00-0.07 and the camera-holder's fingers at the bottom edge
shift against it by more than the table moves (place 0.16 for a 0.15 step):
:data:`CARRY_MIN_STEP` = 0.1, :data:`CARRY_MAX_PLACE` = 0.6, :data:`CARRY_MIN_STEPS` = 2.  The
print has no arm; the real hand, with its arm, is found in one step while the box moves (box
0.43, hand 0.24, place 0.24: 0.56 of the box's step, a carrying step) and then only while the box
rests (steps 0.01-0.03), so one step, not two: neither ``box.mp4`` nor ``cup.mp4`` (whose
bottle, a weak "cell phone", and hand are found together in fewer than two frames of a slot) is
said to hold anything yet.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from statistics import mean, median
from typing import Sequence

from .tracks import Sighting, SlotTracks, Track, iou

WALK_MIN_SPEED = 0.25
RUN_MIN_SPEED = 1.6
STILL_MAX_SPEED = 0.15
MIN_DURATION = 1.0  # seconds a track must span before its motion is judged
DEPTH_MIN_LOG = math.log(1.25)  # box height growing/shrinking by a quarter: approaches / moves away
EDGE = 0.02  # a box this close to the frame's border touches it
FALL_MAX_SECONDS = 1.0  # upright to lying faster than this is a fall, slower is lying down
FACING_MIN = 0.2  # shoulder-width offset (in torso lengths) that shows the body's facing
HOLDABLE = frozenset({
    "bottle", "cup", "wine glass", "cell phone", "book", "remote", "knife", "fork", "spoon", "scissors", "banana",
    "apple", "orange", "sandwich", "donut", "bowl", "handbag", "umbrella", "teddy bear", "toothbrush", "mouse",
    "laptop", "sports ball", "frisbee", "tennis racket", "vase", "suitcase", "backpack", "kite", "clock",
})  # COCO classes a hand can hold
LIFT_MIN = 0.08  # frame heights a held object rises while held: lifts it
HAND_MIN_SPEED = 0.1  # hand sizes a second a hand moves against the scene (see the module docstring)
ARM_MIN_SHARE = 0.5  # share of a hand's sightings that a person box (an arm, however weak) overlaps
CARRY_MIN_STEP = 0.1  # thing sizes the thing and the hand must each move between two frames for the step to count
CARRY_MAX_PLACE = 0.6  # the hand's place on the thing changes by at most this share of the thing's step
CARRY_MIN_STEPS = 2  # carrying steps needed


@dataclass(frozen=True)
class Action:
    """One thing done in a slot: ``verb`` is the lemma phrase ("walk", "sit down"), ``tracks``
    the ids of the tracks involved (people, and the hand and thing held), ``people`` how many
    of them are people; ``measure`` holds the numbers it was read from."""

    verb: str
    tracks: tuple[int, ...]
    frames: tuple[float, ...]
    object: str | None = None
    direction: str | None = None
    measure: dict = field(default_factory=dict, compare=False, hash=False)
    people: int = 1


# ------------------------------------------------------------------ geometry


def _thirds(track: Track) -> tuple[list[Sighting], list[Sighting]]:
    n = len(track.sightings)
    k = max(1, n // 3)
    return track.sightings[:k], track.sightings[-k:]


def _foot(s: Sighting) -> tuple[float, float]:
    return (s.box[0] + s.box[2]) / 2, s.box[3]


def _avg(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    return mean(p[0] for p in points), mean(p[1] for p in points)


def motion(track: Track, aspect: float, shift: tuple[float, float] = (0.0, 0.0)) -> dict:
    """Net motion of a track: ``speed`` (heights a second, camera pan removed), ``dx``/``dy`` (the
    same, signed, frame-relative), ``depth`` (log of the late over the early box height) and
    ``duration`` (seconds)."""
    early, late = _thirds(track)
    duration = late[-1].t - early[0].t if len(track.sightings) > 1 else 0.0
    height = median(s.height for s in track.sightings)
    if duration <= 0:
        return {"speed": 0.0, "dx": 0.0, "dy": 0.0, "depth": 0.0, "duration": 0.0}
    (x0, y0), (x1, y1) = _avg([_foot(s) for s in early]), _avg([_foot(s) for s in late])
    t0, t1 = mean(s.t for s in early), mean(s.t for s in late)
    span = max(t1 - t0, 1e-6)
    dx = ((x1 - x0) / span - shift[0]) * aspect / height
    dy = ((y1 - y0) / span - shift[1]) / height
    whole = [s for s in track.sightings if _touches(s.box) is None]  # a box cut by the frame's edge grows as one enters
    depth = 0.0
    if len(whole) >= 2 and whole[-1].t - whole[0].t >= MIN_DURATION:
        k = max(1, len(whole) // 3)
        depth = math.log(median(s.height for s in whole[-k:]) / median(s.height for s in whole[:k]))
    return {"speed": math.hypot(dx, dy), "dx": dx, "dy": dy, "depth": depth, "duration": duration}


def _touches(box, edge: float = EDGE) -> str | None:
    if box[0] <= edge:
        return "left"
    if box[2] >= 1 - edge:
        return "right"
    if box[3] >= 1 - edge:
        return "bottom"
    if box[1] <= edge:
        return "top"
    return None


def _torso(s: Sighting, aspect: float):
    """Shoulder and hip midpoints (x scaled by ``aspect``) and the torso length, or None."""
    pts = {n: s.keypoint(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")}
    sh = [p for n, p in pts.items() if "shoulder" in n and p]
    hp = [p for n, p in pts.items() if "hip" in n and p]
    if not sh or not hp:
        return None
    (sx, sy), (hx, hy) = _avg(sh), _avg(hp)
    sx, hx = sx * aspect, hx * aspect
    length = math.hypot(hx - sx, hy - sy)
    return ((sx, sy), (hx, hy), length) if length > 1e-3 else None


def arm_state(s: Sighting, aspect: float) -> str | None:
    """``"raised"`` (a wrist above the shoulders by a quarter torso), ``"reaching"`` (an arm held
    out straight, mostly sideways, at least 0.9 torso lengths from its shoulder), ``"down"``, or
    None when the arms are not seen."""
    torso = _torso(s, aspect)
    if torso is None:
        return None
    (_, sy), _, length = torso
    seen = False
    reaching = False
    for side in ("left", "right"):
        sh, el, wr = (s.keypoint(f"{side}_{j}") for j in ("shoulder", "elbow", "wrist"))
        if sh is None or wr is None:
            continue
        seen = True
        if wr[1] < sy - 0.25 * length:
            return "raised"
        dx, dy = (wr[0] - sh[0]) * aspect, wr[1] - sh[1]
        reach = math.hypot(dx, dy)
        straight = el is not None and reach >= 0.9 * (math.dist((sh[0] * aspect, sh[1]), (el[0] * aspect, el[1]))
                                                      + math.dist((el[0] * aspect, el[1]), (wr[0] * aspect, wr[1])))
        if reach >= 0.9 * length and abs(dx) > abs(dy) and straight:
            reaching = True
    if not seen:
        return None
    return "reaching" if reaching else "down"


def bend_angle(s: Sighting, aspect: float) -> float | None:
    """Degrees of the torso from vertical when the legs stand under it (knees below the hips),
    else None (sitting or lying bodies are not bending)."""
    torso = _torso(s, aspect)
    if torso is None:
        return None
    (sx, sy), (hx, hy), _ = torso
    knees = [k for k in (s.keypoint("left_knee"), s.keypoint("right_knee")) if k]
    if not knees or mean(k[1] for k in knees) <= hy:
        return None
    return math.degrees(math.atan2(abs(sx - hx), max(hy - sy, 1e-6))) if hy > sy else 90.0


def facing(s: Sighting, aspect: float) -> str | None:
    """``"front"`` (the chest to the camera: the left shoulder on the image's right), ``"back"``,
    or None (side-on or shoulders unseen)."""
    torso = _torso(s, aspect)
    ls, rs = s.keypoint("left_shoulder"), s.keypoint("right_shoulder")
    if torso is None or ls is None or rs is None:
        return None
    offset = (ls[0] - rs[0]) * aspect / torso[2]
    if offset >= FACING_MIN:
        return "front"
    if offset <= -FACING_MIN:
        return "back"
    return None


def side_facing(s: Sighting) -> str | None:
    """Which image side the head points to, from the nose against the ears (or shoulders):
    ``"left"``, ``"right"`` or None."""
    nose = s.keypoint("nose")
    if nose is None:
        return None
    ref = [p for p in (s.keypoint("left_ear"), s.keypoint("right_ear")) if p] or \
        [p for p in (s.keypoint("left_shoulder"), s.keypoint("right_shoulder")) if p]
    if not ref:
        return None
    rx = mean(p[0] for p in ref)
    gap = 0.15 * s.width
    if nose[0] > rx + gap:
        return "right"
    if nose[0] < rx - gap:
        return "left"
    return None


def _majority(values) -> str | None:
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return None
    value, n = Counter(values).most_common(1)[0]
    return value if n * 2 > len(values) else None


def _change(track: Track, state) -> tuple[str | None, str | None, float | None]:
    """The state agreed by the early sightings, by the late ones, and the time of the first late-state sighting."""
    early, late = _thirds(track)
    a, b = _majority(state(s) for s in early), _majority(state(s) for s in late)
    when = next((s.t for s in track.sightings if state(s) == b), None) if b else None
    return a, b, when


# ------------------------------------------------------------------ per person


def person_actions(track: Track, aspect: float, shift: tuple[float, float] = (0.0, 0.0),
                   first_t: float | None = None, last_t: float | None = None) -> list[Action]:
    """The actions of one confirmed person track; ``first_t``/``last_t`` are the times of the
    shot's first and last sampled frames (entering needs the track to start after the first)."""
    out: list[Action] = []
    frames = tuple(round(t, 3) for t in track.times)
    one = (track.id,)
    m = motion(track, aspect, shift)
    rounded = {k: round(v, 3) for k, v in m.items()}
    if m["duration"] >= MIN_DURATION:
        direction = None
        if abs(m["dx"]) >= WALK_MIN_SPEED and abs(m["dx"]) >= abs(m["dy"]):
            direction = "right" if m["dx"] > 0 else "left"
        if m["speed"] >= RUN_MIN_SPEED:
            out.append(Action("run", one, frames, direction=direction, measure=rounded))
        elif m["speed"] >= WALK_MIN_SPEED or abs(m["depth"]) >= DEPTH_MIN_LOG:
            out.append(Action("walk", one, frames, direction=direction, measure=rounded))
        if m["depth"] >= DEPTH_MIN_LOG:
            out.append(Action("approach", one, frames, measure=rounded))
        elif m["depth"] <= -DEPTH_MIN_LOG:
            out.append(Action("move away", one, frames, measure=rounded))
    postures = _change(track, lambda s: s.pose.posture if s.pose else None)
    before, after, when = postures
    moving = any(a.verb in ("walk", "run") for a in out)
    if before and after and before != after:
        if after == "sitting" and before == "standing":
            out.append(Action("sit down", one, frames, measure={"from": before, "to": after}))
        elif after == "standing" and before in ("sitting", "lying down"):
            out.append(Action("stand up", one, frames, measure={"from": before, "to": after}))
        elif after == "lying down":
            last_up = max((s.t for s in track.sightings if s.pose and s.pose.posture == before and
                           (when is None or s.t < when)), default=None)
            quick = last_up is not None and when is not None and when - last_up <= FALL_MAX_SECONDS
            verb = "fall" if quick and before == "standing" else "lie down"
            out.append(Action(verb, one, frames, measure={"from": before, "to": after,
                                                          "seconds": round(when - last_up, 3) if quick else None}))
    elif (not moving and m["duration"] >= MIN_DURATION and m["speed"] <= STILL_MAX_SPEED
          and abs(m["depth"]) < DEPTH_MIN_LOG and before == after and before in ("standing", "sitting", "lying down")):
        verb = {"standing": "stand", "sitting": "sit", "lying down": "lie"}[before]
        out.append(Action(verb, one, frames, measure=rounded))
    arms_before, arms_after, _ = _change(track, lambda s: arm_state(s, aspect))
    if arms_after == "raised" and arms_before in ("down", "reaching"):
        out.append(Action("raise an arm", one, frames, measure={"from": arms_before, "to": arms_after}))
    elif arms_after == "reaching" and arms_before == "down":
        out.append(Action("reach", one, frames, measure={"from": arms_before, "to": arms_after}))
    bent = _change(track, lambda s: None if (a := bend_angle(s, aspect)) is None else
                   ("bent" if a >= 45 else "upright" if a <= 20 else None))
    if bent[0] == "upright" and bent[1] == "bent":
        out.append(Action("bend", one, frames, measure={"from": "upright", "to": "bent"}))
    faced = _change(track, lambda s: facing(s, aspect))
    if faced[0] and faced[1] and faced[0] != faced[1]:
        out.append(Action("turn", one, frames, measure={"from": faced[0], "to": faced[1]}))
    first, last = track.sightings[0], track.sightings[-1]
    judged = m["duration"] >= MIN_DURATION  # a track seen for a moment has no direction to go by
    if judged and first_t is not None and track.start > first_t + 1e-6 and (edge := _touches(first.box)):
        inward = {"left": m["dx"] > 0, "right": m["dx"] < 0, "bottom": m["dy"] < 0 or m["depth"] < 0,
                  "top": m["dy"] > 0}[edge]
        if inward:
            out.append(Action("enter", one, frames, direction=edge, measure={"edge": edge, "box": list(first.box)}))
    if judged and last_t is not None and track.end < last_t - 1e-6 and (edge := _touches(last.box)):
        outward = {"left": m["dx"] < 0, "right": m["dx"] > 0, "bottom": m["dy"] > 0 or m["depth"] > 0,
                   "top": m["dy"] < 0}[edge]
        if outward:
            out.append(Action("leave", one, frames, direction=edge, measure={"edge": edge, "box": list(last.box)}))
    return out


def face_each_other(a: Track, b: Track) -> bool:
    """Two people side by side at a similar distance, the one on the left facing right and the
    one on the right facing left, in most of the frames where both heads are read."""
    at = {s.t: s for s in a.sightings}
    votes = []
    for s in b.sightings:
        r = at.get(s.t)
        if r is None:
            continue
        left, right = (r, s) if r.centre[0] < s.centre[0] else (s, r)
        if max(left.height, right.height) / min(left.height, right.height) > 1.5:
            continue
        if right.centre[0] - left.centre[0] > 2.5 * max(left.height, right.height):
            continue
        fl, fr = side_facing(left), side_facing(right)
        if fl is None or fr is None:
            continue
        votes.append(fl == "right" and fr == "left")
    return len(votes) >= 2 and sum(votes) * 2 > len(votes)


# ------------------------------------------------------------------ hands and things


def _near(hand: Sighting, thing: Sighting) -> bool:
    """The hand's box overlaps the thing's box grown by a fifth."""
    x0, y0, x1, y1 = thing.box
    gx, gy = 0.2 * (x1 - x0), 0.2 * (y1 - y0)
    return iou(hand.box, (x0 - gx, y0 - gy, x1 + gx, y1 + gy)) > 0


def _owners(hand: Track, people: Sequence[Track]) -> tuple[int, ...]:
    """The people whose box holds the hand's box in most of the frames both are seen in."""
    owners = []
    for person in people:
        at = {s.t: s for s in person.sightings}
        common = [(h, at[h.t]) for h in hand.sightings if h.t in at]
        if common and sum(iou(h.box, p.box) > 0 for h, p in common) * 2 > len(common):
            owners.append(person.id)
    return tuple(owners)


def hand_motion(hand: Track, aspect: float, shift: tuple[float, float] = (0.0, 0.0)) -> dict:
    """How a hand track moves against the scene: ``speed``, the median over consecutive sightings
    of the box centre's step after removing the camera's shift (``shift``: frame widths and heights
    a second), in hand sizes (the box's longer side, x scaled by ``aspect``) a second; ``steps``."""
    speeds = []
    for a, b in zip(hand.sightings, hand.sightings[1:]):
        dt = b.t - a.t
        if dt <= 0:
            continue
        dx = ((b.centre[0] - a.centre[0]) - shift[0] * dt) * aspect
        dy = (b.centre[1] - a.centre[1]) - shift[1] * dt
        size = (max(a.width * aspect, a.height) + max(b.width * aspect, b.height)) / 2
        speeds.append(math.hypot(dx, dy) / size / dt)
    return {"speed": round(median(speeds), 3) if speeds else 0.0, "steps": len(speeds)}


def arm_share(hand: Track, people: Sequence[Track]) -> float:
    """Share of the hand's sightings that a person track's box (confirmed or not: a forearm reads
    as a weak person) overlaps in the same frame."""
    boxes: dict[float, list] = {}
    for person in people:
        for s in person.sightings:
            boxes.setdefault(s.t, []).append(s.box)
    hits = sum(1 for h in hand.sightings if any(iou(h.box, b) > 0 for b in boxes.get(h.t, ())))
    return hits / len(hand.sightings) if hand.sightings else 0.0


def hand_at_work(hand: Track, tracks: SlotTracks, shift: tuple[float, float] = (0.0, 0.0)) -> dict | None:
    """Why a confirmed hand track is a hand at work rather than a hand-like patch of a still
    picture, or None: a confirmed person's box holds it (:func:`_owners`), or it moves against the
    scene (:func:`hand_motion` at :data:`HAND_MIN_SPEED` or more) with an arm leading to it
    (:func:`arm_share` at :data:`ARM_MIN_SHARE` or more)."""
    owners = _owners(hand, tracks.confirmed_people)
    moved = hand_motion(hand, tracks.aspect, shift)
    arm = arm_share(hand, tracks.people)
    if owners or (moved["speed"] >= HAND_MIN_SPEED and arm >= ARM_MIN_SHARE):
        return {"hand": hand.id, "owners": list(owners), "arm_share": round(arm, 2), **moved}
    return None


def _arms(tracks: SlotTracks) -> dict[float, list]:
    """Frame time -> the person boxes (confirmed or not: a forearm reads as a weak person) seen then."""
    boxes: dict[float, list] = {}
    for person in tracks.people:
        for s in person.sightings:
            boxes.setdefault(s.t, []).append(s.box)
    return boxes


def carried(hand: Track, thing: Track, tracks: SlotTracks, shift: tuple[float, float] = (0.0, 0.0)) -> dict | None:
    """The carry test's numbers when ``hand`` carries ``thing`` (a class-free thing track), else
    None.  Over consecutive frames where the hand is at the thing (:func:`_near`) and an arm (a
    person box) reaches the hand, a step in which both move :data:`CARRY_MIN_STEP` thing sizes or
    more against the scene (the camera's ``shift`` removed) *carries* when the hand's place on the
    thing (its centre relative to the thing's, in thing sizes) changes by at most
    :data:`CARRY_MAX_PLACE` of the thing's step: the hand goes where the thing goes.  The hand
    carries the thing when :data:`CARRY_MIN_STEPS` or more steps carry and they are most of the
    steps in which both moved (see the module docstring)."""
    aspect, arms = tracks.aspect, _arms(tracks)
    at = {s.t: s for s in thing.sightings}
    near = [(h, at[h.t]) for h in hand.sightings if h.t in at and _near(h, at[h.t])
            and any(iou(h.box, b) > 0 for b in arms.get(h.t, ()))]
    moved, carrying = [], []
    for (h0, o0), (h1, o1) in zip(near, near[1:]):
        size = max(o0.width * aspect, o0.height, o1.width * aspect, o1.height)
        pan = (shift[0] * (h1.t - h0.t), shift[1] * (h1.t - h0.t))
        step = math.hypot((o1.centre[0] - o0.centre[0] - pan[0]) * aspect, o1.centre[1] - o0.centre[1] - pan[1]) / size
        hand_step = math.hypot((h1.centre[0] - h0.centre[0] - pan[0]) * aspect,
                               h1.centre[1] - h0.centre[1] - pan[1]) / size
        if step < CARRY_MIN_STEP or hand_step < CARRY_MIN_STEP:
            continue
        place = math.dist(((h1.centre[0] - o1.centre[0]) * aspect, h1.centre[1] - o1.centre[1]),
                          ((h0.centre[0] - o0.centre[0]) * aspect, h0.centre[1] - o0.centre[1])) / size
        moved.append({"t": [round(h0.t, 3), round(h1.t, 3)], "thing_step": round(step, 3),
                      "hand_step": round(hand_step, 3), "place_change": round(place, 3)})
        if place <= CARRY_MAX_PLACE * step:
            carrying.append(moved[-1])
    if len(carrying) < CARRY_MIN_STEPS or len(carrying) * 2 <= len(moved):
        return None
    return {"hand": hand.id, "thing": thing.id, "frames_near": len(near), "steps_moved": moved,
            "steps_carried": len(carrying)}


def hand_actions(tracks: SlotTracks, shift: tuple[float, float] = (0.0, 0.0)) -> list[Action]:
    """``hold`` (a hand at work -- :func:`hand_at_work` -- next to a holdable object track in most
    of their common frames, or carrying a thing: :func:`carried`), ``lift`` (the held object
    rising by :data:`LIFT_MIN` of the frame while held) and, for a hand at work with no person in
    view that holds nothing found, ``move``."""
    out = []
    working = [h for h in tracks.confirmed_hands if hand_at_work(h, tracks, shift)]
    for thing in tracks.confirmed_objects:
        if thing.label not in HOLDABLE:
            continue
        at = {s.t: s for s in thing.sightings}
        for hand in working:
            common = [(h, at[h.t]) for h in hand.sightings if h.t in at]
            held = [(h, o) for h, o in common if _near(h, o)]
            if len(held) < 2 or len(held) * 2 <= len(common):
                continue
            people = _owners(hand, tracks.confirmed_people)[:1]
            ids = (*people, hand.id, thing.id)
            frames = tuple(round(h.t, 3) for h, _ in held)
            out.append(Action("hold", ids, frames, object=thing.label, people=len(people),
                              measure={"hand": hand.id, "object": thing.id, "frames_held": len(held)}))
            k = max(1, len(held) // 3)
            rise = mean(o.centre[1] for _, o in held[:k]) - mean(o.centre[1] for _, o in held[-k:])
            if rise >= LIFT_MIN:
                out.append(Action("lift", ids, frames, object=thing.label, direction="up", people=len(people),
                                  measure={"rise": round(rise, 3)}))
    holding = {a.measure.get("hand") for a in out}
    for hand in working:
        if hand.id in holding:
            continue
        found = [c for thing in tracks.things if (c := carried(hand, thing, tracks, shift))]
        if found:
            best = max(found, key=lambda c: (c["steps_carried"], c["frames_near"]))
            people = _owners(hand, tracks.confirmed_people)[:1]
            frames = tuple(round(h.t, 3) for h in hand.sightings)
            out.append(Action("hold", (*people, hand.id, best["thing"]), frames, people=len(people),
                              measure={**best, "at_work": hand_at_work(hand, tracks, shift)}))
            holding.add(hand.id)
    if not tracks.confirmed_people:
        for hand in working:
            if hand.id not in holding:
                out.append(Action("move", (hand.id,), tuple(round(t, 3) for t in hand.times), people=0,
                                  measure=hand_at_work(hand, tracks, shift)))
    return out


def slot_actions(tracks: SlotTracks, shift: tuple[float, float] = (0.0, 0.0)) -> list[Action]:
    """Every person's actions, pairs facing each other, and held things, in one list."""
    first_t = tracks.times[0] if tracks.times else None
    last_t = tracks.times[-1] if tracks.times else None
    people = tracks.confirmed_people
    out = [a for t in people for a in person_actions(t, tracks.aspect, shift, first_t, last_t)]
    for i, a in enumerate(people):
        for b in people[i + 1:]:
            if face_each_other(a, b):
                both = sorted(set(a.times) & set(b.times))
                out.append(Action("face each other", (a.id, b.id), tuple(round(t, 3) for t in both), people=2))
    return out + hand_actions(tracks, shift)
