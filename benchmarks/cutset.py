"""A labelled set of shot transitions on real footage, for the cut benchmarks.

The cases are made on first use under ``<cinescribe cache>/cutset/<version>/`` (never
committed) from the real clips in ``../shared/data/clips/`` (``CINESCRIBE_CLIPS`` overrides
the folder) and, for the generated cases, scikit-image photos:

* ``real:*`` -- the four clips as they are: no cut (they measure precision);
* ``hard:*`` -- montages of real clips with hard cuts: the same campus camera at other
  times cropped closer (a wide shot then a closer shot of the same place in the same light,
  as in shot / reverse shot), jump cuts in one framing, box <-> cup, a bottle then a closer
  crop of it.  The jump cuts of ``hard:vtest-jump`` (the same framing 37 s and 27 s later: only
  the small walking people change) are the same kind of event as vtest.avi's own jump at
  40.4 s, where a walking man vanishes between two frames of the source, which ``real:vtest.avi``
  counts as no cut; a describer would mention neither;
* ``gradual:*`` -- ffmpeg ``xfade`` dissolves, fades through black and a wipe between real
  clips (also between two framings of the campus), each with its span;
* ``gen:*`` -- generated videos: four photo shots with hard cuts, and a fade out to black and
  in again to the same photo moving otherwise (one gradual transition).

Ground truth per case: ``hard`` = the time of the first frame of each new shot;
``gradual`` = ``(start, end)`` of each transition.  :func:`score` matches detections to it.

    from cutset import load_cases, score
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cinescribe.cache import cache_root
from cinescribe.demo import ShotSpec, make_test_video

CLIPS = Path(os.environ.get("CINESCRIBE_CLIPS", Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"))
VERSION = "v1"


@dataclass(frozen=True)
class Segment:
    """``dur`` seconds of ``clip`` from ``start``; ``crop`` = (w, h, x, y) in source pixels."""

    clip: str
    start: float
    dur: float
    crop: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Join:
    """How a segment follows the previous one: ``"cut"`` or an xfade transition of ``dur`` seconds."""

    kind: str = "cut"
    dur: float = 0.0


CUT = Join()
VT_A = (384, 288, 200, 170)  # a 2x closer view of the path and the lawn
VT_B = (480, 360, 288, 40)   # a 1.6x view of the building and the vans
CUP_CLOSE = (320, 240, 160, 120)
BOX_CLOSE = (426, 320, 107, 80)

# name -> (fps, size, [segment, join, segment, join, segment, ...])
MONTAGES: dict[str, tuple[int, tuple[int, int], list]] = {
    "hard:vtest-wide-close": (10, (640, 480), [
        Segment("vtest.avi", 0, 3), CUT, Segment("vtest.avi", 30, 3, VT_A), CUT, Segment("vtest.avi", 50, 3), CUT,
        Segment("vtest.avi", 12, 3, VT_B), CUT, Segment("vtest.avi", 65, 3, VT_A)]),
    "hard:vtest-jump": (10, (640, 480), [
        Segment("vtest.avi", 0, 3), CUT, Segment("vtest.avi", 40, 3), CUT, Segment("vtest.avi", 70, 3)]),
    "hard:box-cup": (25, (640, 480), [
        Segment("box.mp4", 0, 3), CUT, Segment("cup.mp4", 0.6, 3), CUT, Segment("box.mp4", 6, 3), CUT,
        Segment("cup.mp4", 4, 3)]),
    "hard:closer": (25, (640, 480), [
        Segment("cup.mp4", 0.6, 3), CUT, Segment("cup.mp4", 3.6, 3, CUP_CLOSE), CUT, Segment("box.mp4", 2, 3), CUT,
        Segment("box.mp4", 5, 3, BOX_CLOSE)]),
    "hard:mixed": (25, (640, 480), [
        Segment("tree.avi", 0, 3), CUT, Segment("vtest.avi", 10, 3), CUT, Segment("tree.avi", 15, 3), CUT,
        Segment("box.mp4", 10, 3)]),
    "gradual:dissolve-fadeblack": (25, (640, 480), [
        Segment("vtest.avi", 0, 4), Join("fade", 1.0), Segment("box.mp4", 0, 4), Join("fadeblack", 1.0),
        Segment("cup.mp4", 1, 4)]),
    "gradual:vtest-framings": (10, (640, 480), [
        Segment("vtest.avi", 0, 4), Join("fade", 1.0), Segment("vtest.avi", 40, 4, VT_A), Join("wipeleft", 0.6),
        Segment("vtest.avi", 20, 4)]),
    "gradual:slow-and-cut": (25, (640, 480), [
        Segment("tree.avi", 0, 4), Join("fade", 2.0), Segment("cup.mp4", 1, 4), CUT, Segment("box.mp4", 0, 3)]),
}

# name -> (shots, gradual spans); a fade out to black and in again is one transition
GENERATED: dict[str, tuple[list[ShotSpec], list[tuple[float, float]]]] = {
    "gen:photos": ([ShotSpec("astronaut", 3.0), ShotSpec("coffee", 2.5), ShotSpec("astronaut", 2.0),
                    ShotSpec("chelsea", 2.5)], []),
    "gen:fade-black": ([ShotSpec("chelsea", 3.0, "zoom", fade_out=1.5), ShotSpec("black", 1.0),
                        ShotSpec("chelsea", 3.0, "pan", fade_in=1.5)], [(1.5, 5.5)]),
}


@dataclass
class Case:
    """One labelled video: hard cut times and gradual spans (seconds); ``fps`` of the file."""

    name: str
    path: Path
    fps: float
    duration: float
    hard: list[float] = field(default_factory=list)
    gradual: list[tuple[float, float]] = field(default_factory=list)


def _segment_filter(i: int, seg: Segment, fps: int, size: tuple[int, int]) -> str:
    w, h = size
    first = round(seg.start * fps)
    chain = ["setpts=PTS-STARTPTS", f"fps={fps}", f"trim=start_frame={first}:end_frame={first + round(seg.dur * fps)}",
             "setpts=PTS-STARTPTS"]  # whole frames on the output grid: the cuts fall exactly on frames
    if seg.crop:
        chain.append("crop={}:{}:{}:{}".format(*seg.crop))
    chain += [f"scale={w}:{h}", "setsar=1", "format=yuv420p"]
    return f"[{i}:v]{','.join(chain)}[s{i}]"


def _make_montage(out: Path, fps: int, size: tuple[int, int], items: list) -> tuple[list[float], list[tuple[float, float]]]:
    segs, joins = items[0::2], items[1::2]
    inputs: list[str] = []
    graph = []
    for i, seg in enumerate(segs):
        inputs += ["-i", str(CLIPS / seg.clip)]
        graph.append(_segment_filter(i, seg, fps, size))
    hard: list[float] = []
    gradual: list[tuple[float, float]] = []
    acc, length = "s0", segs[0].dur
    for i, (join, seg) in enumerate(zip(joins, segs[1:]), start=1):
        label = f"a{i}"
        if join.kind == "cut":
            graph.append(f"[{acc}][s{i}]concat=n=2:v=1:a=0[{label}]")
            hard.append(round(length, 3))
            length += seg.dur
        else:
            offset = length - join.dur
            graph.append(f"[{acc}][s{i}]xfade=transition={join.kind}:duration={join.dur}:offset={offset:.3f}[{label}]")
            gradual.append((round(offset, 3), round(length, 3)))
            length += seg.dur - join.dur
        acc = label
    tmp = out.with_suffix(".part.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", ";".join(graph),
                    "-map", f"[{acc}]", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
                    "-r", str(fps), str(tmp)], check=True)
    tmp.rename(out)
    return hard, gradual


def _duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def _fps(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "stream=avg_frame_rate",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    num, _, den = out.strip().partition("/")
    return float(num) / float(den or 1)


def folder() -> Path:
    spec = json.dumps([VERSION, {k: [repr(x) for x in v[2]] for k, v in MONTAGES.items()},
                       {k: repr(v) for k, v in GENERATED.items()}])
    return cache_root() / "cutset" / hashlib.sha256(spec.encode()).hexdigest()[:12]


def load_cases(names: list[str] | None = None) -> list[Case]:
    """The labelled cases (made on first use); ``names`` picks some by name or prefix."""
    if not CLIPS.is_dir():
        raise SystemExit(f"error: no real clips in {CLIPS}; set CINESCRIBE_CLIPS")
    root = folder()
    root.mkdir(parents=True, exist_ok=True)
    index = root / "index.json"
    if not index.exists():
        cases = [Case(f"real:{p.name}", p, _fps(p), _duration(p)) for p in sorted(CLIPS.iterdir())
                 if p.suffix in (".avi", ".mp4")]
        for name, (fps, size, items) in MONTAGES.items():
            out = root / (name.replace(":", "-") + ".mp4")
            hard, gradual = _make_montage(out, fps, size, items)
            cases.append(Case(name, out, float(fps), _duration(out), hard, gradual))
        for name, (shots, gradual) in GENERATED.items():
            info = make_test_video(root / (name.replace(":", "-") + ".mp4"), shots=shots, audio=False)
            cases.append(Case(name, info.path, float(info.fps), info.duration, list(info.cuts), gradual))
        tmp = index.with_suffix(".part")
        tmp.write_text(json.dumps([{**asdict(c), "path": str(c.path)} for c in cases], indent=1))
        tmp.rename(index)
    cases = [Case(**{**d, "path": Path(d["path"]), "gradual": [tuple(g) for g in d["gradual"]]})
             for d in json.loads(index.read_text())]
    if names:
        cases = [c for c in cases if any(c.name == n or c.name.startswith(n) for n in names)]
    return cases


def clear() -> None:
    """Delete the generated cases."""
    shutil.rmtree(cache_root() / "cutset", ignore_errors=True)


@dataclass
class Tally:
    """Hits and misses over cases; ``hard_hits``/``gradual_hits`` count matched truths."""

    hard: int = 0
    gradual: int = 0
    hard_hits: int = 0
    gradual_hits: int = 0
    detections: int = 0
    false: int = 0
    misses: list[str] = field(default_factory=list)
    false_cuts: list[str] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        for k in ("hard", "gradual", "hard_hits", "gradual_hits", "detections", "false"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.misses += other.misses
        self.false_cuts += other.false_cuts

    def metrics(self) -> dict[str, float]:
        """Recall of hard / gradual / all transitions, precision and F1 (precision counts all detections)."""
        def ratio(a: int, b: int) -> float:
            return a / b if b else 1.0

        hits = self.hard_hits + self.gradual_hits
        recall = ratio(hits, self.hard + self.gradual)
        precision = ratio(self.detections - self.false, self.detections)
        f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
        hr, gr = ratio(self.hard_hits, self.hard), ratio(self.gradual_hits, self.gradual)
        return {"recall_hard": hr, "recall_gradual": gr, "recall": recall, "precision": precision, "f1": f1}


def score(case: Case, detected: list[float], tolerance: float) -> Tally:
    """Match ``detected`` cut times to the case's truth, each at most once.

    A hard cut at ``c`` is hit by a detection in ``[c - tolerance, c + tolerance]``; a gradual
    span ``(a, b)`` by one in ``[a - tolerance, b + tolerance]``.  Unmatched detections are false.
    """
    tally = Tally(hard=len(case.hard), gradual=len(case.gradual), detections=len(detected))
    free = sorted(detected)
    eps = 1e-6
    for c in case.hard:
        near = [d for d in free if abs(d - c) <= tolerance + eps]
        if near:
            free.remove(min(near, key=lambda d: abs(d - c)))
            tally.hard_hits += 1
        else:
            tally.misses.append(f"{case.name} hard {c:.2f}")
    for a, b in case.gradual:
        inside = [d for d in free if a - tolerance - eps <= d <= b + tolerance + eps]
        if inside:
            free.remove(min(inside, key=lambda d: abs(d - (a + b) / 2)))
            tally.gradual_hits += 1
        else:
            tally.misses.append(f"{case.name} gradual {a:.2f}-{b:.2f}")
    tally.false = len(free)
    tally.false_cuts = [f"{case.name} false {d:.2f}" for d in free]
    return tally
