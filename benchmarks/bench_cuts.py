"""Shot-cut detectors on the labelled cut set (:mod:`cutset`): recall, precision, F1 and speed.

Every detector runs on every case in the same run: cinescribe's ``transnetv2`` (all frames,
every 2nd, every 3rd), ``combined`` (TransNetV2 on every 2nd frame with picture steps and dips to
black on every frame at 96x54, and jump cuts in a still camera; per cut, its source and score go to
``evidence`` in the JSON),
cinescribe's ``content`` (at describe's old 4 frames/s, and at every frame) and PySceneDetect's detectors (``pip install scenedetect==0.7.2``; for this benchmark
only) on every frame shrunk to 256 px, as its scene manager does.  A detector's time counts
decoding (PyAV, one thread per detector run, at the size it needs) and detecting.

Matching (``cutset.score``): a detection hits a hard cut within ``tolerance`` = one frame
period of the video, or one period of the detector's own sampling rate when that is coarser
(a detector fed every 2nd frame cannot place a cut closer than 2 frames; ``combined`` places
TransNetV2's cuts on every 2nd frame); it hits a gradual
transition anywhere inside its span widened by the same tolerance.  Each truth and each
detection is matched at most once; unmatched detections are false cuts.

Rows: recall of hard cuts, of gradual transitions and in total; precision and F1 on the cases
with only hard cuts (and the four clips without cuts), on the cases with gradual transitions,
and on all; frames/s fed to the detector and seconds per minute of video.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_cuts.py [--detectors transnetv2 content] \
        [--cases hard: gradual:] [--json out.json] [--list]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cutset import Case, Tally, load_cases, score  # noqa: E402

from cinescribe.media.frames import Frame, output_size  # noqa: E402
from cinescribe.media.shots import make_detector  # noqa: E402


@dataclass(frozen=True)
class Variant:
    """A detector as benchmarked: how it is fed (``every`` k-th frame or ``fps``) and at what size."""

    label: str
    make: Callable[[Case], Callable[[Frame], None]]  # -> push; push(None) ends and returns cuts
    every: int = 1
    fps: float | None = None
    size: tuple[int, int] | int = 256  # (w, h) exactly, or the longer side
    places_every: int = 1  # the detector places cuts on every n-th frame (the tolerance is n frames)


def decoded(path: Path, size: tuple[int, int] | int, every: int = 1, fps: float | None = None) -> Iterator[Frame]:
    """Every ``every``-th frame (or the frames nearest ``fps`` sampling instants), RGB at ``size``."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        n, k = 0, 0
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue
            for frame in frames:
                t = float(frame.time or 0.0)
                take = (n % every == 0) if fps is None else (t + 0.5 / 1000 >= k / fps)
                n += 1
                if not take:
                    continue
                if fps is not None:
                    k = int(t * fps) + 1
                w, h = size if isinstance(size, tuple) else output_size(frame.width, frame.height, size)
                yield Frame(n - 1, t, frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_ndarray())


def ours(name: str, **options) -> Callable[[Case], Callable]:
    def make(case: Case):
        det = make_detector(name, **options)

        def push(frame: Frame | None):
            if frame is None:
                det.finish()
                return det.cuts()
            det.push(frame)
        push.detector = det
        return push
    return make


def pyscenedetect(cls_name: str, **options) -> Callable[[Case], Callable]:
    def make(case: Case):
        from scenedetect import FrameTimecode, detectors

        det = getattr(detectors, cls_name)(**options)
        cuts: list[float] = []
        last = [None]

        def push(frame: Frame | None):
            if frame is None:
                if last[0] is not None:
                    cuts.extend(tc.seconds for tc in det.post_process(last[0]))
                return sorted(cuts)
            tc = FrameTimecode(frame.index, fps=case.fps)
            last[0] = tc
            cuts.extend(c.seconds for c in det.process_frame(tc, np.ascontiguousarray(frame.image[..., ::-1])))
        return push
    return make


VARIANTS = [
    Variant("transnetv2 every frame", ours("transnetv2"), size=(48, 27)),
    Variant("transnetv2 every 2nd", ours("transnetv2"), every=2, size=(48, 27)),
    Variant("transnetv2 every 3rd", ours("transnetv2"), every=3, size=(48, 27)),
    Variant("combined", ours("combined"), size=(96, 54), places_every=2),
    Variant("content 4 fps", ours("content"), fps=4.0),
    Variant("content", ours("content")),
    Variant("scenedetect content", pyscenedetect("ContentDetector")),
    Variant("scenedetect adaptive", pyscenedetect("AdaptiveDetector")),
    Variant("scenedetect hash", pyscenedetect("HashDetector")),
    Variant("scenedetect histogram", pyscenedetect("HistogramDetector")),
    Variant("scenedetect threshold", pyscenedetect("ThresholdDetector")),
]


def run_variant(v: Variant, cases: list[Case]) -> dict:
    groups = {"hard": Tally(), "gradual": Tally(), "all": Tally()}
    frames = 0
    seconds = 0.0
    duration = 0.0
    detections = {}
    evidence: dict[str, list[dict]] = {}
    for case in cases:
        rate = case.fps / v.every if v.fps is None else min(v.fps, case.fps)
        tolerance = max(1.0 / case.fps, 1.0 / rate, v.places_every / case.fps) + 1e-3
        start = time.perf_counter()
        push = v.make(case)
        for frame in decoded(case.path, v.size, v.every, v.fps):
            push(frame)
            frames += 1
        cuts = push(None)
        seconds += time.perf_counter() - start
        duration += case.duration
        detections[case.name] = [round(c, 3) for c in cuts]
        if getattr(getattr(push, "detector", None), "evidence", None) is not None:
            evidence[case.name] = push.detector.evidence
        tally = score(case, cuts, tolerance)
        groups["gradual" if case.gradual else "hard"].add(tally)
        groups["all"].add(tally)
    out = {"detector": v.label, "frames": frames, "seconds": round(seconds, 2),
           "frames_per_s": round(frames / seconds, 1) if seconds else 0.0,
           "s_per_min": round(seconds / duration * 60, 2) if duration else 0.0, "detections": detections,
           "evidence": evidence,
           "misses": groups["all"].misses, "false_cuts": groups["all"].false_cuts}
    m_all = groups["all"].metrics()
    out |= {"recall_hard": m_all["recall_hard"], "recall_gradual": m_all["recall_gradual"], "recall": m_all["recall"]}
    for g in ("hard", "gradual", "all"):
        m = groups[g].metrics()
        out |= {f"precision_{g}": m["precision"], f"f1_{g}": m["f1"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detectors", nargs="*", help="labels (or label prefixes) to run; default all")
    ap.add_argument("--cases", nargs="*", help="case names or prefixes (real:, hard:, gradual:, gen:)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--list", action="store_true", help="print the cases and their truth, then stop")
    args = ap.parse_args()
    cases = load_cases(args.cases)
    if args.list:
        for c in cases:
            print(f"{c.name:30s} {c.duration:6.1f} s {c.fps:5.1f} fps  hard {c.hard}  gradual {c.gradual}")
        return
    variants = [v for v in VARIANTS if not args.detectors or any(v.label.startswith(d) for d in args.detectors)]
    hard = sum(len(c.hard) for c in cases)
    gradual = sum(len(c.gradual) for c in cases)
    print(f"{len(cases)} cases, {sum(c.duration for c in cases):.0f} s of video, {hard} hard cuts, "
          f"{gradual} gradual transitions")
    head = (f"{'detector':24s} {'R hard':>6s} {'R grad':>6s} {'R all':>6s} {'P hard':>6s} {'P grad':>6s} "
            f"{'P all':>6s} {'F1 hard':>7s} {'F1 grad':>7s} {'F1 all':>6s} {'frames/s':>8s} {'s/min':>6s}")
    print(head)
    results = []
    for v in variants:
        r = run_variant(v, cases)
        results.append(r)
        print(f"{r['detector']:24s} {r['recall_hard']:6.3f} {r['recall_gradual']:6.3f} {r['recall']:6.3f} "
              f"{r['precision_hard']:6.3f} {r['precision_gradual']:6.3f} {r['precision_all']:6.3f} "
              f"{r['f1_hard']:7.3f} {r['f1_gradual']:7.3f} {r['f1_all']:6.3f} {r['frames_per_s']:8.1f} "
              f"{r['s_per_min']:6.1f}", flush=True)
    for r in results:
        if r["misses"] or r["false_cuts"]:
            print(f"\n{r['detector']}: " + "; ".join(r["misses"] + r["false_cuts"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
