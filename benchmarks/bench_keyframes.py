"""Key-frame recall: how many frames each selector needs to see every content change.

Videos: THE demo and generated videos with known shots, including short inserts
(0.5-1 s cutaways) that uniform sampling tends to miss.  Each video is cut into
windows of ``--window`` seconds (a slot); a window's *segments* are the distinct contents (shot
sources: A/B/A counts A once) with at least one sampled frame in it (a frame within
0.1 s of a cut is given the side it resembles: shot edges are rounded to whole frames).  A selector *finds*
a content when one of its chosen frames shows it; recall = found / segments.  For every window and selector the
smallest budget k (1..16) reaching recall 1 is recorded, and recall at k = number of
segments.  ``events`` sees the previous and next windows' frames as neighbours.
Features: the ``pixels`` encoder at ``--fps`` through the feature store.

    .venv/bin/python benchmarks/bench_keyframes.py [--fps 4] [--window 8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from cinescribe.demo import ShotSpec, make_demo_video, make_test_video
from cinescribe.features.encoders.pixels import PixelEncoder
from cinescribe.features.keyframes import SELECTORS, select_keyframes
from cinescribe.features.store import FeatureStore
from cinescribe.progress import set_quiet

MAX_K = 16
GENERATED = {
    "inserts": [("astronaut", 4.0, "zoom"), ("coffee", 0.75, "none"), ("astronaut", 3.0, "none"),
                ("chelsea", 1.0, "pan"), ("rocket", 5.0, "zoom"), ("camera", 0.5, "none"),
                ("motorcycle_left", 5.75, "pan")],
    "flashes": [("chelsea", 3.0, "pan"), ("#e0e0e0", 0.5, "none"), ("chelsea", 3.5, "pan"), ("coffee", 2.0, "zoom"),
                ("#2040a0", 0.75, "none"), ("coffee", 2.25, "none"), ("astronaut", 4.0, "pan"),
                ("motorcycle_left", 1.0, "none"), ("astronaut", 3.0, "zoom")],
    "montage": [("rocket", 1.5, "zoom"), ("camera", 1.0, "none"), ("chelsea", 1.25, "pan"), ("coffee", 0.75, "none"),
                ("motorcycle_left", 2.0, "pan"), ("astronaut", 1.0, "none"), ("rocket", 4.5, "none"),
                ("camera", 0.5, "none"), ("chelsea", 3.5, "zoom")],
}


def windows(duration: float, size: float) -> list[tuple[float, float]]:
    n = max(1, int(round(duration / size)))
    return [(i * duration / n, (i + 1) * duration / n) for i in range(n)]


def frame_labels(times, feats, shots, tolerance: float = 0.1) -> list[str | None]:
    """The content each sampled frame shows.  A frame within ``tolerance`` s of a cut may show
    either side (encoders round shot edges to whole frames): it gets the side whose middle
    frame it resembles most."""
    middle = [feats[int(np.argmin(np.abs(times - (s + e) / 2)))] for s, e, _ in shots]
    out = []
    for t, f in zip(times, feats):
        near = [i for i, (s, e, _) in enumerate(shots) if s - tolerance <= t < e + tolerance]
        out.append(shots[max(near, key=lambda i: float(f @ middle[i]))][2] if near else None)
    return out


def evaluate(times, feats, shots, window_size: float) -> list[dict]:
    """Per window: frames, distinct contents and, per selector, the budget needed for recall 1."""
    rows = []
    labels = frame_labels(times, feats, shots)
    spans = windows(float(times[-1]) + 1e-3, window_size)
    for w, (a, b) in enumerate(spans):
        inside = np.flatnonzero((times >= a) & (times < b))
        lo = spans[w - 1][0] if w else a
        hi = spans[w + 1][1] if w + 1 < len(spans) else b
        neighbours = np.flatnonzero(((times >= lo) & (times < a)) | ((times >= b) & (times < hi)))
        content = [labels[i] for i in inside]
        segments = sorted({c for c in content if c is not None})
        row = {"window": [round(a, 2), round(b, 2)], "frames": len(inside), "segments": len(segments)}
        for method in SELECTORS:
            def recall(k):
                sel = select_keyframes(method, feats[inside], k, times=times[inside],
                                       neighbours=feats[neighbours], seed=0)
                return len({content[i] for i in sel.indices} & set(segments)) / len(segments)

            need = next((k for k in range(1, min(MAX_K, len(inside)) + 1) if recall(k) >= 1.0), None)
            row[method] = {"k_for_full_recall": need, "recall_at_k_segments": round(recall(len(segments)), 3)}
        rows.append(row)
    return rows


def summarise(rows) -> dict:
    out = {"windows": len(rows), "segments": sum(r["segments"] for r in rows)}
    for method in SELECTORS:
        needs = [r[method]["k_for_full_recall"] for r in rows]
        found = sum(r[method]["recall_at_k_segments"] * r["segments"] for r in rows)
        out[method] = {
            "frames_for_full_recall": sum(n if n is not None else MAX_K for n in needs),
            "windows_never_full": sum(n is None for n in needs),
            "recall_at_k_equal_segments": round(found / out["segments"], 3),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fps", type=float, default=4.0)
    ap.add_argument("--window", type=float, default=8.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    set_quiet(True)
    report = {"fps": args.fps, "window": args.window, "videos": {}}
    with tempfile.TemporaryDirectory(prefix="cinescribe-kf-") as tmp:
        tmp = Path(tmp)
        store, enc = FeatureStore(tmp / "cache"), PixelEncoder()
        videos = {"demo": make_demo_video(tmp / "demo.mp4")}
        for name, shots in GENERATED.items():
            specs = [ShotSpec(src, d, motion) for src, d, motion in shots]
            videos[name] = make_test_video(tmp / f"{name}.mp4", shots=specs, audio=False, size=(640, 360))
        for name, info in videos.items():
            entry = store.extract(info.path, enc, fps=args.fps, max_side=256)
            shots = [(iv.start, iv.end, label) for iv, label in info.shots]
            rows = evaluate(entry.times, entry.features(), shots, args.window)
            report["videos"][name] = {"summary": summarise(rows), "windows": rows}
    all_rows = [r for v in report["videos"].values() for r in v["windows"]]
    report["total"] = summarise(all_rows)
    print(f"{'video':10s} {'windows':>7s} {'segments':>8s} | frames needed for recall 1 (recall at k = #segments)")
    for name, v in [*report["videos"].items(), ("TOTAL", {"summary": report["total"]})]:
        s = v["summary"]
        cells = "  ".join(f"{m}: {s[m]['frames_for_full_recall']:3d} ({s[m]['recall_at_k_equal_segments']:.3f})"
                          for m in SELECTORS)
        print(f"{name:10s} {s['windows']:7d} {s['segments']:8d} | {cells}")
    never = {m: report["total"][m]["windows_never_full"] for m in SELECTORS}
    print(f"windows where recall 1 was not reached with {MAX_K} frames (counted as {MAX_K}): {never}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
