"""Per-frame cut signals of the labelled cut set, saved once, so that rules can be swept without decoding.

For every case of :mod:`cutset` (and the demo video), every decoded frame at TransNetV2's 48x27 is
kept, and these are saved per frame in ``<cache>/cutsignals/<cutset folder>/<case>.npz``:

* ``t`` (seconds), ``frames`` ``(N, 27, 48, 3)`` uint8, and ``t96``, ``frames96`` the same at 96x54;
* ``single2``/``many2``: TransNetV2's two heads fed every 2nd frame, as the detectors feed it
  (NaN on the frames it was not fed).

``--sweep`` then replays :class:`~cinescribe.media.shots.CombinedDetector` on the saved frames
(96x54, every frame) with TransNetV2's saved every-2nd-frame scores, and prints recall and
precision over its TransNetV2 threshold and its picture-step threshold (and without the dips),
and over its jump-cut region count.

``--jumps`` prints the jump-cut signal (:class:`~cinescribe.media.jump_cuts.JumpMeter`'s region
count) on every case and on the demo video: per true cut, the highest count within one frame
and whether the camera was still; per case, the highest counts on frames without a cut; over all
cases, the counts at cuts, inside gradual transitions and elsewhere, by still camera or not; and its cost per frame beside the picture-step signal's.

    PYTHONPATH=src .venv/bin/python benchmarks/cut_signals.py [--cases hard: ...] [--sweep] [--jumps]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cuts import decoded  # noqa: E402
from cutset import Case, Tally, folder, load_cases, score  # noqa: E402

from cinescribe.cache import cache_root  # noqa: E402
from cinescribe.media.frames import Frame  # noqa: E402
from cinescribe.media.jump_cuts import JumpMeter  # noqa: E402
from cinescribe.media.picture_steps import DarkDips, StepMeter  # noqa: E402
from cinescribe.media.shots import CombinedDetector, TransNetDetector  # noqa: E402
from cinescribe.media.transnet import HEIGHT, WIDTH, TransNetScorer, load_transnet  # noqa: E402


def signals_path(case: Case) -> Path:
    return cache_root() / "cutsignals" / folder().name / (case.name.replace(":", "-") + ".npz")


def compute(case: Case, model) -> dict[str, np.ndarray]:
    frames = [(f.t, f.image) for f in decoded(case.path, (WIDTH, HEIGHT))]
    t = np.array([x[0] for x in frames])
    images = np.stack([x[1] for x in frames])
    big = [(f.t, f.image) for f in decoded(case.path, (96, 54))]
    out = {"t": t, "frames": images, "t96": np.array([x[0] for x in big]), "frames96": np.stack([x[1] for x in big])}
    for every in (2,):
        scorer = TransNetScorer(model)
        scores = []
        for image in images[::every]:
            scores += scorer.push(np.ascontiguousarray(image))
        scores += scorer.finish()
        single = np.full(len(t), np.nan)
        many = np.full(len(t), np.nan)
        single[::every] = [s for s, _ in scores]
        many[::every] = [m for _, m in scores]
        out[f"single{every}"], out[f"many{every}"] = single, many
    return out


def load_signals(cases: list[Case]) -> dict[str, dict[str, np.ndarray]]:
    """The saved signals of ``cases`` (computed and saved on first use)."""
    model = None
    out = {}
    for case in cases:
        path = signals_path(case)
        if not path.exists():
            model = model or load_transnet()
            data = compute(case, model)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part.npz")
            np.savez_compressed(tmp, **data)
            tmp.rename(path)
            print(f"saved {path}", file=sys.stderr)
        with np.load(path) as z:
            out[case.name] = {k: z[k] for k in z.files}
    return out


class ReplayScorer:
    """Stands in for :class:`~cinescribe.media.transnet.TransNetScorer`: the saved scores, in order."""

    def __init__(self, single: np.ndarray, many: np.ndarray) -> None:
        self._scores = list(zip(single.tolist(), many.tolist()))

    def push(self, frame: np.ndarray) -> list[tuple[float, float]]:
        return [self._scores.pop(0)]

    def finish(self) -> list[tuple[float, float]]:
        return []


def replay(case: Case, data: dict[str, np.ndarray], threshold: float, step: float, dips: bool,
           jump: int = 3) -> list[float]:
    """The combined detector's cuts on the saved frames, TransNetV2's scores (every 2nd frame) replayed."""
    transnet = TransNetDetector(threshold, every=1)
    transnet._scorer = ReplayScorer(data["single2"][::2], data["many2"][::2])
    det = CombinedDetector(threshold, step=step, jump=jump, transnet=transnet)
    if not dips:
        det.dips = DarkDips(dark=-1.0)  # no frame is dark: no dips, no edges
    for i, (t, image) in enumerate(zip(data["t96"], data["frames96"])):
        det.push(Frame(i, float(t), image))
    return det.cuts()


def sweep(cases: list[Case], signals: dict) -> None:
    """Recall, precision and F1 of the combined detector over its step and TransNetV2 thresholds."""
    print(f"{'transnet':>8s} {'step':>5s} {'jump':>4s} {'dips':>4s} {'R hard':>6s} {'R grad':>6s} {'R':>6s} "
          f"{'P':>6s} {'F1':>6s}  misses / false cuts")
    settings = [(threshold, step, 3, True) for threshold in (0.4, 0.5, 0.6)
                for step in (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 1.01)]
    settings += [(0.5, 0.3, 3, False)] + [(0.5, 0.3, jump, True) for jump in (1, 2, 4, 5, 99)]
    for threshold, step, jump, dips in settings:
        total = Tally()
        for case in cases:
            tolerance = max(1.0 / case.fps, 2.0 / case.fps) + 1e-3
            total.add(score(case, replay(case, signals[case.name], threshold, step, dips, jump), tolerance))
        m = total.metrics()
        print(f"{threshold:8.2f} {step:5.2f} {jump:4d} {'yes' if dips else 'no':>4s} {m['recall_hard']:6.3f} "
              f"{m['recall_gradual']:6.3f} {m['recall']:6.3f} {m['precision']:6.3f} {m['f1']:6.3f}  "
              + "; ".join(total.misses + total.false_cuts), flush=True)


def demo_case() -> Case:
    """The demo video (made on first use in the cut signals' cache), with its cuts."""
    from cinescribe.demo import make_demo_video

    path = cache_root() / "cutsignals" / "demo.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    info = make_demo_video(path)
    return Case("demo", info.path, float(info.fps), info.duration, list(info.cuts))


def jumps(cases: list[Case]) -> None:
    """The jump-cut region count at true cuts and on frames without a cut, and its cost per frame."""
    import time

    import cv2

    at_cuts, elsewhere, gradual = [], {True: [], False: []}, {True: [], False: []}
    spent = {"jump": 0.0, "step": 0.0}
    frames = zero = 0
    print("case                         cuts (t: regions, still)        most regions without a cut (t: regions)")
    for case in cases:
        meter, timed, steps = JumpMeter(regions=1), JumpMeter(), StepMeter()
        still: dict[float, bool] = {}
        for frame in decoded(case.path, (96, 54)):
            grey = cv2.cvtColor(frame.image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
            found = meter.push(frame.t, grey)
            start = time.perf_counter()
            timed.push(frame.t, grey)
            middle = time.perf_counter()
            steps.push(frame.t, grey)
            spent["jump"] += middle - start
            spent["step"] += time.perf_counter() - middle
            frames += 1
            still |= {j.t: True for j in found}
        still |= {j.t: True for j in meter.finish()}
        tolerance = 1.0 / case.fps + 1e-3
        near_cut = [any(abs(t - c) <= tolerance for c in case.hard) for t, _ in meter.counts]
        within = [any(a - tolerance <= t <= b + tolerance for a, b in case.gradual) for t, _ in meter.counts]
        for (t, n), inside in zip(meter.counts, within):
            if inside and n:
                gradual[still.get(t, False)].append(n)
        cuts = []
        for c in case.hard:
            near = [(n, still.get(t, False)) for t, n in meter.counts if abs(t - c) <= tolerance]
            best = max(near, default=(0, False))
            at_cuts.append(best)
            cuts.append(f"{c:.1f}: {best[0]}{' still' if best[1] else ''}")
        other = sorted(((n, t) for (t, n), cut, inside in zip(meter.counts, near_cut, within) if not cut and not inside),
                       reverse=True)
        for n, t in other:
            if n:
                elsewhere[still.get(t, False)].append(n)
        zero += sum(1 for n, _ in other if not n)
        print(f"{case.name:28s} {', '.join(cuts) or '-':32s} "
              + ", ".join(f"{t:.2f}: {n}{' still' if still.get(t) else ''}" for n, t in other[:4]), flush=True)

    def spread(values: list[int]) -> str:
        counts = np.bincount(values) if values else np.zeros(1, int)
        return " ".join(f"{k}:{v}" for k, v in enumerate(counts) if v)

    print(f"\nregion count at true hard cuts, camera still: {spread([n for n, s in at_cuts if s])}; "
          f"not still: {spread([n for n, s in at_cuts if not s])}")
    print(f"region count inside gradual transitions (not 0), camera still: {spread(gradual[True])}; "
          f"not still: {spread(gradual[False])}")
    print(f"region count on frames without a cut or transition: {zero} frames 0; the others, camera still: "
          f"{spread(elsewhere[True])}; not still: {spread(elsewhere[False])}")
    print(f"cost per frame at 96x54: jump cuts {spent['jump'] / frames * 1000:.2f} ms, "
          f"picture steps {spent['step'] / frames * 1000:.2f} ms ({frames} frames)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*")
    ap.add_argument("--sweep", action="store_true", help="print the combined detector's curve over its thresholds")
    ap.add_argument("--jumps", action="store_true", help="print the jump-cut signal at cuts and elsewhere")
    args = ap.parse_args()
    cases = load_cases(args.cases)
    if args.jumps:
        jumps(cases + [demo_case()])
        return
    signals = load_signals(cases)
    if args.sweep:
        sweep(cases, signals)


if __name__ == "__main__":
    main()
