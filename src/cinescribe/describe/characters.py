"""Characters: the same person across cuts, found from face identity vectors over the whole video.

Input: the measured frames of the video (:class:`FrameAnalysis`, faces carrying a faceres
identity vector ``(1024,)``, gender, clothing and hair colour) and its shots.  Output: a list of
:class:`Character` with stable ids ``c1, c2, ...`` in order of first appearance.

1. **Tracks within a shot.**  Faces of consecutive measured frames of one shot are linked when
   their boxes overlap (IoU >= :data:`TRACK_MIN_IOU`), best overlap first.
2. **One vector per track.**  Single-frame similarity does not separate two people (on film the
   same person scored as low as 0.51, two people as high as 0.69), but vectors averaged over a
   shot do (0.86-0.91 within a character, <= 0.69 between), so each track is the normalised mean
   of its faces' unit vectors, weighted by detector score.
3. **Clustering over the video.**  Average-linkage agglomerative clustering of the tracks on
   cosine distance ``1 - cos``.  Two tracks seen in the same frame are different people (their
   distance is set to the maximum, 2).  The cut is data-driven, chosen per video because
   thresholds do not transfer between films: the widest gap between successive merge heights
   inside ``[MERGE_ALWAYS, MERGE_NEVER]`` (see :func:`choose_cut`).
4. **With a cast** (reference vectors per name), a track close to exactly one name is tied to
   it (distance 0 to that name's other tracks, 2 to other names' tracks) before clustering, and
   each cluster takes the name most of its tied tracks carry.

:class:`CharacterReferences` decides how a sentence refers to a character (first mention with
"a", later with "the", a name once known, never back to "a man" after a name);
:func:`rename_character` renames one in an AD-script document and rewrites every AD that
mentions it.
"""

from __future__ import annotations

import colorsys
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InputError
from ..features.analysers.appearance import colour_name
from ..features.analysers.base import Box, FrameAnalysis, iou
from ..features.analysers.vectors import unit, unpack
from ..timeline import Interval
from .facts import Fact

MIN_FACE_SCORE = 0.7  # faces below this detector score do not vote on identity
TRACK_MIN_IOU = 0.3
MERGE_ALWAYS = 0.2  # cosine distance below which two tracks are one person (similarity 0.8)
MERGE_NEVER = 0.45  # ... and above which they never are (similarity 0.55)
CAST_MIN_SIMILARITY = 0.55
CAST_MARGIN = 0.1  # the best name must beat the second by this much
GENDER_MIN = 0.85  # mean gender confidence needed to say "woman" / "man"
GENDER_AGREEMENT = 0.8
COLOUR_AGREEMENT = 0.6
PAD = 0.5  # seconds an appearance extends past its first and last measured frame (within the shot)
EVIDENCE_FRAMES = 4


# ------------------------------------------------------------------ colour words


def hair_name(rgb: Sequence[int]) -> str | None:
    """A hair word ("dark", "fair", "grey", "red") for a colour, or None when it is no hair colour."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    h *= 360
    if v < 0.35:
        return "dark"
    if s < 0.15:
        return "grey" if v > 0.55 else "dark"
    if 15 <= h < 55 and v > 0.6:
        return "fair"
    if h < 15 or h >= 345:
        return "red"
    if h < 55:
        return "dark"
    return None


# ------------------------------------------------------------------ tracks


@dataclass(frozen=True)
class Sighting:
    """One face with an identity vector ``(1024,)`` at time ``t`` in shot ``shot``."""

    t: float
    shot: int
    box: Box
    score: float
    vector: np.ndarray = field(compare=False, repr=False)
    gender: str | None = None
    gender_score: float | None = None
    age: int | None = None
    torso_rgb: tuple[int, int, int] | None = None
    hair_rgb: tuple[int, int, int] | None = None


@dataclass
class Track:
    """Faces of one person within one shot, in time order."""

    shot: int
    sightings: list[Sighting]

    @property
    def vector(self) -> np.ndarray:
        """Score-weighted mean of the faces' unit vectors, normalised: ``(1024,)``."""
        return unit(sum(s.score * s.vector for s in self.sightings))

    @property
    def times(self) -> set[float]:
        return {s.t for s in self.sightings}


def _shot_of(t: float, shots: Sequence[Interval]) -> int:
    for i, s in enumerate(shots):
        if s.start <= t < s.end:
            return i
    return len(shots) - 1 if shots and t >= shots[-1].start else 0


def sightings(frames: Sequence[FrameAnalysis], shots: Sequence[Interval]) -> list[Sighting]:
    """Every face with an identity vector and a detector score of at least :data:`MIN_FACE_SCORE`."""
    out = []
    for fa in sorted(frames, key=lambda f: f.t):
        for f in fa.faces:
            if f.descriptor and f.score >= MIN_FACE_SCORE:
                out.append(Sighting(round(fa.t, 3), _shot_of(fa.t, shots), f.box, f.score, unpack(f.descriptor),
                                    f.gender, f.gender_score, f.age, f.torso_rgb, f.hair_rgb))
    return out


def track_faces(seen: Sequence[Sighting], min_iou: float = TRACK_MIN_IOU) -> list[Track]:
    """Faces linked within each shot by box overlap between consecutive measured frames."""
    tracks: list[Track] = []
    open_tracks: list[Track] = []
    by_frame: dict[tuple[int, float], list[Sighting]] = {}
    for s in seen:
        by_frame.setdefault((s.shot, s.t), []).append(s)
    shot = None
    for (shot_i, _t), faces in sorted(by_frame.items()):
        if shot_i != shot:
            shot, open_tracks = shot_i, []
        pairs = sorted(((iou(tr.sightings[-1].box, f.box), i, j) for i, tr in enumerate(open_tracks)
                        for j, f in enumerate(faces)), reverse=True)
        used_tracks, used_faces = set(), set()
        for overlap, i, j in pairs:
            if overlap < min_iou or i in used_tracks or j in used_faces:
                continue
            open_tracks[i].sightings.append(faces[j])
            used_tracks.add(i)
            used_faces.add(j)
        for j, f in enumerate(faces):
            if j not in used_faces:
                track = Track(shot_i, [f])
                tracks.append(track)
                open_tracks.append(track)
    return tracks


# ------------------------------------------------------------------ clustering


def choose_cut(heights: Sequence[float], lo: float = MERGE_ALWAYS, hi: float = MERGE_NEVER) -> float:
    """The distance at which to cut a dendrogram whose merges happened at ``heights``.

    Merges below ``lo`` always happen, merges above ``hi`` never; in between, the cut falls in
    the middle of the widest gap between successive merge heights (``lo`` and ``hi`` count as
    heights), so that it separates the tight within-person merges from the loose between-person
    ones of this video.
    """
    inside = sorted(h for h in heights if lo < h < hi)
    points = [lo, *inside, hi]
    gaps = [(points[i + 1] - points[i], i) for i in range(len(points) - 1)]
    _, i = max(gaps)
    return (points[i] + points[i + 1]) / 2


def _distances(tracks: Sequence[Track], ties: Sequence[str | None]) -> np.ndarray:
    """Cosine distances ``(n, n)`` between track vectors, with co-occurrence and cast ties applied."""
    x = np.stack([t.vector for t in tracks])
    d = np.clip(1.0 - x @ x.T, 0.0, 2.0)
    for i in range(len(tracks)):
        for j in range(i + 1, len(tracks)):
            same_frame = tracks[i].shot == tracks[j].shot and tracks[i].times & tracks[j].times
            if same_frame or (ties[i] and ties[j] and ties[i] != ties[j]):
                d[i, j] = d[j, i] = 2.0
            elif ties[i] and ties[i] == ties[j]:
                d[i, j] = d[j, i] = 0.0
    np.fill_diagonal(d, 0.0)
    return d


def cluster_tracks(tracks: Sequence[Track], ties: Sequence[str | None] | None = None,
                   cut: float | None = None) -> tuple[list[int], float]:
    """A cluster label per track and the cut used (``cut`` None: :func:`choose_cut`)."""
    if not tracks:
        return [], cut if cut is not None else MERGE_NEVER
    ties = list(ties) if ties is not None else [None] * len(tracks)
    if len(tracks) == 1:
        return [0], cut if cut is not None else MERGE_NEVER
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    z = linkage(squareform(_distances(tracks, ties), checks=False), method="average")
    if cut is None:
        cut = choose_cut(z[:, 2])
    labels = fcluster(z, t=cut, criterion="distance")
    return [int(v) - 1 for v in labels], cut


def cast_ties(tracks: Sequence[Track], cast: Mapping[str, np.ndarray]) -> list[str | None]:
    """Per track, the cast name it is clearly closest to (:data:`CAST_MIN_SIMILARITY`, :data:`CAST_MARGIN`)."""
    if not cast:
        return [None] * len(tracks)
    names = list(cast)
    refs = np.stack([unit(cast[n]) for n in names])
    out: list[str | None] = []
    for t in tracks:
        sims = refs @ t.vector
        order = np.argsort(-sims)
        best = float(sims[order[0]])
        second = float(sims[order[1]]) if len(names) > 1 else -1.0
        out.append(names[order[0]] if best >= CAST_MIN_SIMILARITY and best - second >= CAST_MARGIN else None)
    return out


# ------------------------------------------------------------------ characters


@dataclass
class Character:
    """One person over the whole video."""

    id: str
    tracks: list[Track]
    name: str | None = None
    label: str = "a person"
    short: str = "the person"
    gender: str | None = None
    top: str | None = None
    hair: str | None = None
    appearances: list[Interval] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def sightings(self) -> list[Sighting]:
        return sorted((s for t in self.tracks for s in t.sightings), key=lambda s: s.t)

    @property
    def vector(self) -> np.ndarray:
        return unit(sum(len(t.sightings) * t.vector for t in self.tracks))

    def to_dict(self) -> dict[str, Any]:
        shown = sorted(self.sightings, key=lambda s: -s.score)[:EVIDENCE_FRAMES]
        return {
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "short": self.short,
            "appearances": [a.to_dict() for a in self.appearances],
            "evidence": {
                "frames": [{"t": s.t, "box": [round(v, 4) for v in s.box], "score": round(s.score, 3)}
                           for s in sorted(shown, key=lambda s: s.t)],
                "faces": len(self.sightings),
                "shots": sorted({t.shot for t in self.tracks}),
                **self.attributes,
            },
        }


def _vote(values: Sequence[str | None], agreement: float) -> tuple[str | None, float]:
    named = [v for v in values if v]
    if not named:
        return None, 0.0
    value, n = Counter(named).most_common(1)[0]
    share = n / len(values)
    return (value if share >= agreement else None), round(share, 3)


def _describe(ch: Character) -> None:
    """Gender, clothing and hair from the character's faces; sets ``attributes``."""
    seen = ch.sightings
    signed = [(s.gender_score or 0.0) * (1 if s.gender == "male" else -1) for s in seen if s.gender]
    mean = float(np.mean(signed)) if signed else 0.0
    agree = (sum(1 for v in signed if v * mean > 0) / len(signed)) if signed else 0.0
    if abs(mean) >= GENDER_MIN and agree >= GENDER_AGREEMENT:
        ch.gender = "male" if mean > 0 else "female"
    ch.top, top_share = _vote([colour_name(s.torso_rgb) if s.torso_rgb else None for s in seen], COLOUR_AGREEMENT)
    ch.hair, hair_share = _vote([hair_name(s.hair_rgb) if s.hair_rgb else None for s in seen], COLOUR_AGREEMENT)
    ages = [s.age for s in seen if s.age is not None]
    ch.attributes = {
        "gender": ch.gender, "gender_mean": round(mean, 3), "gender_agreement": round(agree, 3),
        "top": ch.top, "top_agreement": top_share, "hair": ch.hair, "hair_agreement": hair_share,
        "age_bin_median_unreliable": int(np.median(ages)) if ages else None,
    }


def _labels(chars: Sequence[Character]) -> None:
    """Each character's first-mention label and later short reference, distinct where measurable."""
    def noun(c):
        return {"female": "woman", "male": "man"}.get(c.gender or "", "person")

    for c in chars:
        n = noun(c)
        c.label = f"a {n} in {_article(c.top)} {c.top} top" if c.top else f"a {n}"
        c.short = f"the {n} in {c.top}" if c.top else f"the {n}"
    clashes = Counter(c.short for c in chars)
    for c in chars:
        if clashes[c.short] > 1 and c.hair:
            n = noun(c)
            where = f" in {_article(c.top)} {c.top} top" if c.top else ""
            c.label = f"a {c.hair}-haired {n}{where}"
            c.short = f"the {c.hair}-haired {n}" + (f" in {c.top}" if c.top else "")
    clashes = Counter(c.short for c in chars)
    seen: Counter = Counter()
    for c in chars:
        if clashes[c.short] > 1:
            seen[c.short] += 1
            if seen[c.short] > 1:
                c.label = "another " + c.label.split(" ", 1)[1]
                c.short = c.short.replace("the ", "the other ", 1)


def _article(word: str | None) -> str:
    return "an" if (word or "")[:1] in tuple("aeiou") else "a"


def _appearances(ch: Character, shots: Sequence[Interval]) -> list[Interval]:
    spans = []
    for t in ch.tracks:
        shot = shots[t.shot] if 0 <= t.shot < len(shots) else None
        first, last = t.sightings[0].t, t.sightings[-1].t
        lo, hi = first - PAD, last + PAD
        if shot is not None:
            lo, hi = max(shot.start, lo), min(shot.end, hi)
        spans.append((max(0.0, lo), hi))
    merged: list[list[float]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1] + 0.05:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [Interval(round(lo, 3), round(hi, 3)) for lo, hi in merged]


def find_characters(frames: Sequence[FrameAnalysis], shots: Sequence[Interval],
                    cast: Mapping[str, np.ndarray] | None = None, cut: float | None = None) -> list[Character]:
    """The characters of a video from its measured ``frames`` and ``shots``; see the module docstring.

    ``cast`` maps names to reference identity vectors ``(1024,)``; ``cut`` fixes the clustering's
    cosine-distance cut instead of choosing it from the data.
    """
    tracks = track_faces(sightings(frames, shots))
    ties = cast_ties(tracks, cast or {})
    labels, used_cut = cluster_tracks(tracks, ties, cut)
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(labels):
        groups.setdefault(lab, []).append(i)
    ordered = sorted(groups.values(), key=lambda idx: min(tracks[i].sightings[0].t for i in idx))
    chars = []
    for k, idx in enumerate(ordered, start=1):
        ch = Character(f"c{k}", sorted((tracks[i] for i in idx), key=lambda t: t.sightings[0].t))
        names = Counter(ties[i] for i in idx if ties[i])
        if names:
            ch.name = names.most_common(1)[0][0]
        _describe(ch)
        ch.attributes["cut"] = round(used_cut, 3)
        ch.appearances = _appearances(ch, shots)
        chars.append(ch)
    if cast:
        _name_by_vector(chars, cast)
    _labels(chars)
    return chars


def _name_by_vector(chars: Sequence[Character], cast: Mapping[str, np.ndarray]) -> None:
    """Unnamed characters take the free cast name their mean vector is clearly closest to."""
    taken = {c.name for c in chars if c.name}
    free = [n for n in cast if n not in taken]
    for c in chars:
        if c.name or not free:
            continue
        sims = sorted(((float(unit(cast[n]) @ c.vector), n) for n in free), reverse=True)
        best, name = sims[0]
        second = sims[1][0] if len(sims) > 1 else -1.0
        if best >= CAST_MIN_SIMILARITY and best - second >= CAST_MARGIN:
            c.name = name
            free.remove(name)


# ------------------------------------------------------------------ references


class CharacterReferences:
    """How sentences refer to characters over a whole script.

    ``phrase(id)`` is what the next mention would say, without recording it (a writer may try
    several sentences); ``mention(id)`` records that a sentence used it.  A named character is
    always its name; an unnamed one is its label with "a" the first time ("a woman in a purple
    top") and its short form with "the" afterwards ("the woman in purple").  ``pronoun(id,
    present)`` is "she"/"he" only when the character was the last one mentioned, its gender
    is confident and no other character of that gender is ``present``.
    """

    def __init__(self, characters: Sequence[Mapping[str, Any]] | Sequence[Character]) -> None:
        self.characters: dict[str, dict[str, Any]] = {}
        for c in characters:
            d = c.to_dict() if isinstance(c, Character) else dict(c)
            d.setdefault("gender", (d.get("evidence") or {}).get("gender"))
            self.characters[d["id"]] = d
        self.mentioned: set[str] = set()
        self.last: str | None = None

    def __contains__(self, cid: str) -> bool:
        return cid in self.characters

    def phrase(self, cid: str) -> str:
        c = self.characters[cid]
        if c.get("name"):
            return c["name"]
        if cid in self.mentioned:
            return c.get("short") or "the person"
        return c.get("label") or "a person"

    def genders(self) -> dict[str, str | None]:
        """Each character's measured gender ("male", "female") or None."""
        return {cid: c.get("gender") for cid, c in self.characters.items()}

    def mention(self, cid: str) -> None:
        self.mentioned.add(cid)
        self.last = cid

    def pronoun(self, cid: str, present: Sequence[str] = ()) -> str | None:
        gender = self.characters[cid].get("gender")
        if self.last != cid or gender not in ("female", "male"):
            return None
        if any(o != cid and self.characters.get(o, {}).get("gender") == gender for o in present):
            return None
        return "she" if gender == "female" else "he"

    def words(self, cid: str) -> tuple[str, ...]:
        c = self.characters[cid]
        text = " ".join(p for p in (c.get("name"), c.get("label"), c.get("short")) if p)
        return tuple(dict.fromkeys(w for w in re.findall(r"[^\W\d_][\w'\-]*", text.lower())))


# ------------------------------------------------------------------ renaming


def _spans(text: str, mentions: Sequence[Mapping[str, str]]) -> list[tuple[int, int] | None]:
    """Where each mention's phrase is in ``text``, searched left to right in the mentions' order (so
    that "the person" is not found inside an earlier "the person in orange"); None where it is not."""
    spans: list[tuple[int, int] | None] = []
    pos = 0
    for m in mentions:
        hit = re.compile(re.escape(m.get("phrase", "")) + r"(?![\w'\-])", re.IGNORECASE).search(text, pos)
        spans.append((hit.start(), hit.end()) if hit and m.get("phrase") else None)
        if hit and m.get("phrase"):
            pos = hit.end()
    return spans


def rename_character(doc: dict[str, Any], cid: str, name: str) -> list[int]:
    """Name character ``cid`` in an AD-script document (in place); every AD that mentions it says
    the name instead of its earlier reference.  Returns the indices of the ADs changed."""
    name = " ".join(str(name).split())
    if not name:
        raise InputError("a character's name cannot be empty")
    if len(name) > 80:
        raise InputError("a character's name is at most 80 characters")
    chars = {c["id"]: c for c in doc.get("characters") or []}
    if cid not in chars:
        raise InputError(f"there is no character {cid!r}")
    if any(c.get("name") == name for k, c in chars.items() if k != cid):
        raise InputError(f"another character is already named {name!r}")
    chars[cid]["name"] = name
    changed = []
    for d in doc.get("descriptions", []):
        mentions = d.get("mentions") or []
        text = d.get("text", "")
        spans = _spans(text, mentions)
        hits = [(span, m) for span, m in zip(spans, mentions) if span is not None and m.get("character") == cid]
        for (start, end), m in reversed(hits):
            at_start = start == 0 or re.search(r"[.!?]\s*$", text[:start]) is not None
            text = text[:start] + (name[:1].upper() + name[1:] if at_start else name) + text[end:]
            m["phrase"] = name
        if hits:
            d["text"], d["words"] = text, len(text.split())
            changed.append(int(d["index"]))
    return changed


def character_facts(chars: Sequence[Character], times: Sequence[float], refs: CharacterReferences) -> list[Fact]:
    """One ``character`` fact per character with a face in the key frames at ``times`` (key
    ``character:<id>``, value the id, words every word a reference to it may use)."""
    wanted = {round(t, 3) for t in times}
    facts = []
    for c in chars:
        frames = sorted({s.t for s in c.sightings if s.t in wanted})
        if frames:
            facts.append(Fact("character", f"character:{c.id}", c.id, refs.words(c.id), 1.0,
                              {"character": c.id, "frames": frames, "label": c.label, "name": c.name}))
    return facts
