"""People, hands and objects followed across the frames of one shot.

Input: the :class:`FrameAnalysis` of a slot's sampled frames (about two a second, in time
order; one shot: the caller splits at cuts). Output: :class:`Track` lists with ids, each a
time-ordered list of :class:`Sighting` (box, detector score, body keypoints when MoveNet saw
that person), and which of them are *confirmed* -- supported by agreement across frames
rather than by one frame's score.

People. In each frame, person boxes from the object detector and MoveNet poses are paired
by box overlap (Hungarian assignment, IoU >= :data:`POSE_MATCH_IOU`); a pose with no person
box becomes a sighting of its own. Across frames, tracks and sightings are paired by the
Hungarian assignment over a cost of (1 - IoU) + the centre distance in body heights (from a
constant-velocity prediction) + the log size ratio + the mean keypoint distance in body
heights, with gates that let a runner (about two heights a second) through but not a jump
across the frame.

The numbers below were read off ``vtest.avi`` (768x576, a fixed high camera over a campus
path; people 0.06-0.2 of the frame high) sampled at 2 frames a second, with
``scripts/track_report.py`` and the frames looked at side by side (in its first 8 s six or seven
people are in view: three converge by the lamp post, a pair and a man enter from the right):

* real people's tracks have a mean detector score of 0.47-0.63 (single frames 0.30-0.75: one
  frame's 0.5 cut-off drops real walkers); the two static false "people" (a bin and a stone at
  the lawn's edge) are seen in every frame at a mean of 0.33-0.38. :data:`PERSON_MIN_MEAN` = 0.45
  separates them. MoveNet finds a pose for people this small in only 0-36% of the frames, so a
  pose in at least :data:`PERSON_MIN_POSE_SHARE` of the sightings also confirms a track (close
  shots), but the score does the work on wide ones.
* small people are missed for a frame or two and pass behind each other: :data:`MAX_GAP` = 2.6 s
  joined the fragments (the first 8 s went from nine person tracks to six).
* the white vans score 0.34-0.40 as car/truck in every frame (box area 0.003-0.011 of the frame);
  litter and stones on the lawn score 0.33-0.57 as "sports ball" in every frame at <= 0.0007 of
  the frame's area: an object track counts with a mean score >= :data:`OBJECT_MIN_MEAN` over at
  least :data:`OBJECT_MIN_SHARE` of the slot's frames, and only when its median box covers
  :data:`OBJECT_MIN_AREA` of the frame (a describer does not name what a viewer cannot make out,
  and the detector guesses at that size).
* hands: the yellow cloth on the lawn reads as a hand at a mean of 0.21-0.24; real hands in
  ``box.mp4`` and ``cup.mp4`` score 0.28-0.63: :data:`HAND_MIN_MEAN` = 0.3.
* things: what a hand carries is often no confident COCO object (``box.mp4``'s box reads as
  book, cake, suitcase or dining table at 0.20-0.46, its class changing from frame to frame;
  ``cup.mp4``'s black bottle as a cell phone at 0.20-0.48 in 7 of 16 frames).  Every non-person
  box of a frame, weak ones included (:attr:`FrameAnalysis.weak_objects`), is a sighting of a
  class-free *thing* (overlapping boxes of one frame are one thing: the best-scoring one is kept
  at an IoU of :data:`THING_NMS_IOU`); they are linked like the rest, and are only used to find
  what a hand carries (:mod:`.actions`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import mean, median
from typing import Iterable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..features.analysers.base import Box, FrameAnalysis, Pose, iou

KEYPOINT_MIN_SCORE = 0.3
POSE_MATCH_IOU = 0.3
POSE_ALONE_MIN_SCORE = 0.3  # a pose with no person box starts a sighting only above this

# gates of the frame-to-frame match (distances in body sizes: the box's longer side)
MAX_STEP = 0.4  # heights a sighting may be off its prediction whatever the time step
MAX_SPEED = 2.5  # heights a second: a runner's pace, with room
MAX_LOG_SIZE = 0.6  # |log(height ratio)| between consecutive sightings (x1.8)
MAX_GAP = 2.6  # seconds a track may go unseen (occluded by a passer-by, or missed when small) and still continue

PERSON_MIN_MEAN = 0.45
PERSON_MIN_POSE_SHARE = 0.5
MIN_SIGHTINGS = 2
OBJECT_MIN_MEAN = 0.35
OBJECT_MIN_SHARE = 0.5
OBJECT_MIN_AREA = 0.002
HAND_MIN_MEAN = 0.3
THING_NMS_IOU = 0.5


@dataclass(frozen=True)
class Sighting:
    """One track's measurement in one frame: ``score`` is the detector's (0 when only MoveNet
    saw the person), ``pose`` the matched MoveNet pose, if any."""

    t: float
    box: Box
    score: float
    pose: Pose | None = None

    @property
    def height(self) -> float:
        return max(1e-6, self.box[3] - self.box[1])

    @property
    def width(self) -> float:
        return max(1e-6, self.box[2] - self.box[0])

    @property
    def extent(self) -> float:
        """The box's longer side: a body's size whether upright or lying."""
        return max(self.height, self.width)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2

    def keypoint(self, name: str) -> tuple[float, float] | None:
        """The named MoveNet keypoint ``(x, y)`` when seen with score >= KEYPOINT_MIN_SCORE."""
        if self.pose is None:
            return None
        p = self.pose.keypoints.get(name)
        return (p[0], p[1]) if p is not None and p[2] >= KEYPOINT_MIN_SCORE else None


@dataclass
class Track:
    """One person, hand or object followed across frames; ``label`` is ``person``, ``hand``
    or a COCO class."""

    id: int
    label: str
    sightings: list[Sighting] = field(default_factory=list)
    confirmed: bool = False
    detected: str | None = None  # the detector's class when another measurement renamed the track
    named_by: dict | None = None  # the evidence that renamed it, or ruled it out (:mod:`.regions`)

    @property
    def times(self) -> list[float]:
        return [s.t for s in self.sightings]

    @property
    def start(self) -> float:
        return self.sightings[0].t

    @property
    def end(self) -> float:
        return self.sightings[-1].t

    @property
    def mean_score(self) -> float:
        return mean(s.score for s in self.sightings)

    @property
    def pose_share(self) -> float:
        return sum(1 for s in self.sightings if s.pose is not None) / len(self.sightings)

    @property
    def median_area(self) -> float:
        return median(s.width * s.height for s in self.sightings)

    def evidence(self) -> dict:
        """The track as JSON-ready evidence: id, frame times, rounded boxes and scores."""
        out = {"id": self.id, "label": self.label, "frames": [round(s.t, 3) for s in self.sightings],
               "boxes": [[round(v, 3) for v in s.box] for s in self.sightings],
               "mean_score": round(self.mean_score, 3), "pose_share": round(self.pose_share, 2)}
        if self.named_by is not None:
            out.update(detected=self.detected, named_by=self.named_by)
        return out


@dataclass(frozen=True)
class SlotTracks:
    """The tracks of one slot: every track found, and the times of the frames sampled."""

    people: list[Track]
    objects: list[Track]
    hands: list[Track]
    times: list[float]
    aspect: float = 4 / 3  # frame width / height, to compare x and y distances
    things: list[Track] = field(default_factory=list)  # class-free non-person boxes, weak ones included

    @property
    def confirmed_people(self) -> list[Track]:
        return [t for t in self.people if t.confirmed]

    @property
    def confirmed_objects(self) -> list[Track]:
        return [t for t in self.objects if t.confirmed]

    @property
    def confirmed_hands(self) -> list[Track]:
        return [t for t in self.hands if t.confirmed]


def pose_box(pose: Pose) -> Box | None:
    """The pose's own box, else the box around its keypoints seen with a good score."""
    if pose.box is not None:
        return pose.box
    pts = [(x, y) for x, y, s in pose.keypoints.values() if s >= KEYPOINT_MIN_SCORE]
    if len(pts) < 3:
        return None
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def person_sightings(frame: FrameAnalysis) -> list[Sighting]:
    """The frame's people: person boxes, each with the MoveNet pose it overlaps best."""
    people = [d for d in frame.objects if d.label == "person"]
    poses = [(p, pose_box(p)) for p in frame.poses]
    poses = [(p, b) for p, b in poses if b is not None]
    pairs: dict[int, int] = {}
    if people and poses:
        cost = np.array([[1.0 - iou(d.box, b) for _, b in poses] for d in people])
        for i, j in zip(*linear_sum_assignment(cost)):
            if 1.0 - cost[i, j] >= POSE_MATCH_IOU:
                pairs[int(i)] = int(j)
    out = [Sighting(frame.t, d.box, d.score, poses[pairs[i]][0] if i in pairs else None) for i, d in enumerate(people)]
    matched = set(pairs.values())
    out += [Sighting(frame.t, b, 0.0, p) for j, (p, b) in enumerate(poses)
            if j not in matched and p.score >= POSE_ALONE_MIN_SCORE]
    return out


def thing_sightings(frame: FrameAnalysis) -> list[Sighting]:
    """The frame's things: every non-person box (weak ones included), best score first, with
    boxes overlapping a better one at :data:`THING_NMS_IOU` or more left out."""
    boxes = sorted((d for d in (*frame.objects, *frame.weak_objects) if d.label != "person"), key=lambda d: -d.score)
    kept: list = []
    for d in boxes:
        if all(iou(d.box, k.box) < THING_NMS_IOU for k in kept):
            kept.append(d)
    return [Sighting(frame.t, d.box, d.score) for d in kept]


def _predict(track: Track, t: float) -> tuple[float, float]:
    """The track's centre at ``t`` by constant velocity from its last two sightings."""
    last = track.sightings[-1]
    cx, cy = last.centre
    if len(track.sightings) >= 2:
        prev = track.sightings[-2]
        dt = last.t - prev.t
        if dt > 0:
            px, py = prev.centre
            cx += (cx - px) / dt * (t - last.t)
            cy += (cy - py) / dt * (t - last.t)
    return cx, cy


def _keypoint_distance(a: Sighting, b: Sighting, scale: float, move: tuple[float, float]) -> float | None:
    """Mean distance, in body heights, between ``b``'s keypoints and ``a``'s moved by ``move``."""
    if a.pose is None or b.pose is None:
        return None
    dists = [math.dist((pa[0] + move[0], pa[1] + move[1]), pb) for name in a.pose.keypoints
             if (pa := a.keypoint(name)) is not None and (pb := b.keypoint(name)) is not None]
    return mean(dists) / scale if len(dists) >= 3 else None


def _cost(track: Track, s: Sighting) -> float:
    """The cost of continuing ``track`` with ``s``, or ``inf`` when a gate rules it out. The last
    box and keypoints are first moved to where the track's velocity puts them at ``s.t``."""
    last = track.sightings[-1]
    dt = s.t - last.t
    scale = (last.extent + s.extent) / 2
    px, py = _predict(track, s.t)
    step = math.dist((px, py), s.centre) / scale
    size = abs(math.log(s.extent / last.extent))
    if step > MAX_STEP + MAX_SPEED * dt or size > MAX_LOG_SIZE:
        return math.inf
    mx, my = px - last.centre[0], py - last.centre[1]
    moved = (last.box[0] + mx, last.box[1] + my, last.box[2] + mx, last.box[3] + my)
    cost = (1.0 - iou(moved, s.box)) + step + size
    kp = _keypoint_distance(last, s, scale, (mx, my))
    return cost + (kp if kp is not None else 0.0)


def link(frames: Iterable[tuple[float, list[Sighting]]], label: str, first_id: int = 1) -> list[Track]:
    """Tracks from per-frame sightings (in time order) by frame-to-frame Hungarian assignment."""
    tracks: list[Track] = []
    active: list[Track] = []
    next_id = first_id
    for t, sightings in frames:
        active = [tr for tr in active if t - tr.end <= MAX_GAP]
        assigned: set[int] = set()
        if active and sightings:
            cost = np.array([[_cost(tr, s) for s in sightings] for tr in active])
            finite = np.where(np.isfinite(cost), cost, 1e6)
            for i, j in zip(*linear_sum_assignment(finite)):
                if np.isfinite(cost[i, j]):
                    active[i].sightings.append(sightings[j])
                    assigned.add(int(j))
        for j, s in enumerate(sightings):
            if j not in assigned:
                tr = Track(next_id, label, [s])
                next_id += 1
                tracks.append(tr)
                active.append(tr)
    return tracks


def confirm_person(track: Track) -> bool:
    """A person track is a person when seen in several frames with a good mean score or a pose."""
    return len(track.sightings) >= MIN_SIGHTINGS and (
        track.mean_score >= PERSON_MIN_MEAN or track.pose_share >= PERSON_MIN_POSE_SHARE)


def confirm_object(track: Track, n_frames: int) -> bool:
    """An object counts when seen in most of the slot's frames (or, moving, in several) with a
    good mean score, and big enough to be named."""
    seen = len(track.sightings)
    return (seen >= max(MIN_SIGHTINGS, math.ceil(OBJECT_MIN_SHARE * n_frames)) or seen >= 4) \
        and track.mean_score >= OBJECT_MIN_MEAN and track.median_area >= OBJECT_MIN_AREA


def track_slot(frames: Sequence[FrameAnalysis], aspect: float = 4 / 3) -> SlotTracks:
    """People, objects (per COCO class) and hands tracked over ``frames`` (one shot); track ids
    are unique within the slot."""
    frames = sorted(frames, key=lambda f: f.t)
    n = len(frames)
    people = link(((f.t, person_sightings(f)) for f in frames), "person")
    for tr in people:
        tr.confirmed = confirm_person(tr) if n >= MIN_SIGHTINGS else tr.mean_score >= PERSON_MIN_MEAN
    next_id = len(people) + 1
    objects: list[Track] = []
    for label in sorted({d.label for f in frames for d in f.objects if d.label != "person"}):
        per_frame = [(f.t, [Sighting(f.t, d.box, d.score) for d in f.objects if d.label == label]) for f in frames]
        found = link(per_frame, label, first_id=next_id)
        next_id += len(found)
        for tr in found:
            tr.confirmed = confirm_object(tr, n)
        objects += found
    hands = link(((f.t, [Sighting(f.t, h.box, h.score) for h in f.hands]) for f in frames), "hand", first_id=next_id)
    for tr in hands:
        tr.confirmed = len(tr.sightings) >= MIN_SIGHTINGS and tr.mean_score >= HAND_MIN_MEAN
    things = link(((f.t, thing_sightings(f)) for f in frames), "thing", first_id=next_id + len(hands))
    return SlotTracks(people, objects, hands, [round(f.t, 3) for f in frames], aspect, things)


def track_shots(frames: Sequence[FrameAnalysis], cuts: Sequence[float], aspect: float = 4 / 3) -> SlotTracks:
    """:func:`track_slot` over each shot of a slot (``cuts``: the cut times inside it), with
    track ids unique over the slot; nothing is followed across a cut."""
    bounds = [-math.inf, *sorted(cuts), math.inf]
    people: list[Track] = []
    objects: list[Track] = []
    hands: list[Track] = []
    things: list[Track] = []
    for lo, hi in zip(bounds, bounds[1:]):
        shot = [f for f in frames if lo <= f.t < hi]
        if not shot:
            continue
        part = track_slot(shot, aspect)
        offset = len(people) + len(objects) + len(hands) + len(things)
        for tr in (*part.people, *part.objects, *part.hands, *part.things):
            tr.id += offset
        people += part.people
        objects += part.objects
        hands += part.hands
        things += part.things
    return SlotTracks(people, objects, hands, sorted(round(f.t, 3) for f in frames), aspect, things)
