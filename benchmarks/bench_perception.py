"""The perception graphs (objects, faces, poses, hands) on real footage: the Node TF.js-WASM worker
against the same graphs in PyTorch, on the CPU and, where there is one, a CUDA GPU.

Frames: every ``--every``-th frame of the real clips (``../shared/data/clips``), at describe's
working size (longer side ``max_side``).  Each runtime measures every frame with all four tasks
(faces with identity), after one warm-up frame, PyTorch ``--batch`` frames at a time (frames of one
clip go through each graph's per-frame part together); printed per runtime: milliseconds per frame
(wall), frames per second, for PyTorch each task's share (each task alone over the frames), the speed-up against the first runtime, and how many of its answers
match the first runtime's (same items, boxes and scores within 2e-4, the worker's rounding).
The Node worker is one process on one core (``describe`` runs one per core, at most two); PyTorch
uses ``--threads`` threads on the CPU.

    .venv/bin/python benchmarks/bench_perception.py [--runtimes node,torch-cpu,torch-cuda] [--every 40]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from cinescribe.describe.config import DescribeConfig
from cinescribe.features.analysers import BATCH
from cinescribe.features.analysers.human import HumanAnalyser

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"
TASKS = ("objects", "faces", "poses", "hands")


def frames(every: int, max_side: int, clips: list[Path]) -> list[np.ndarray]:
    import av

    out = []
    for clip in clips:
        with av.open(str(clip)) as container:
            for i, frame in enumerate(container.decode(video=0)):
                if i % every == 0:
                    scale = min(1.0, max_side / max(frame.width, frame.height))
                    w, h = round(frame.width * scale / 2) * 2, round(frame.height * scale / 2) * 2
                    out.append(frame.to_ndarray(format="rgb24", width=w, height=h))
    return out


def same(a: dict, b: dict) -> bool:
    for task in TASKS:
        if len(a[task]) != len(b[task]):
            return False
        for x, y in zip(a[task], b[task]):
            if x.get("label") != y.get("label") or abs(x["score"] - y["score"]) > 2e-4:
                return False
            if any(abs(p - q) > 2e-4 for p, q in zip(x["box"], y["box"])):
                return False
    return True


def analyser(runtime: str) -> HumanAnalyser:
    if runtime == "node":
        return HumanAnalyser(hands=True, workers=1)
    return HumanAnalyser(hands=True, runtime="torch", device=runtime.split("-", 1)[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runtimes", default="", help="comma-separated: node, torch-cpu, torch-cuda (default: what this machine has)")
    ap.add_argument("--every", type=int, default=40, help="take every N-th frame of each clip")
    ap.add_argument("--clips", default="vtest.avi,box.mp4,cup.mp4,tree.avi")
    ap.add_argument("--clips-dir", type=Path, default=CLIPS, help="the folder of the real clips")
    ap.add_argument("--batch", type=int, default=BATCH, help="frames PyTorch measures together")
    ap.add_argument("--threads", type=int, default=0, help="PyTorch CPU threads (0: PyTorch's default)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    runtimes = [r for r in args.runtimes.split(",") if r] or (
        (["node"] if shutil.which("node") else []) + ["torch-cpu"] + (["torch-cuda"] if torch.cuda.is_available() else []))
    clips = [args.clips_dir / c for c in args.clips.split(",")]
    missing = [str(c) for c in clips if not c.is_file()]
    if missing:
        raise SystemExit(f"error: missing clips {missing}; put ../shared beside the repository")
    images = frames(args.every, DescribeConfig().max_side, clips)
    print(f"{len(images)} frames from {len(clips)} clips; torch {torch.__version__}, {torch.get_num_threads()} CPU threads",
          file=sys.stderr)
    rows, first = [], None
    for runtime in runtimes:
        with analyser(runtime) as human:
            if runtime == "node":
                human.measure(images[0])
            else:  # one full batch: each shape's kernels are chosen (and, on a GPU, loaded) once
                human._torch.measure_many(images[:args.batch], human.tasks, identity=True)
            if runtime == "torch-cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            if runtime == "node":
                answers = [human.measure(image) for image in images]
            else:  # as describe gives them: up to BATCH frames of one video at a time
                answers = [a for k in range(0, len(images), args.batch)
                           for a in human._torch.measure_many(images[k:k + args.batch], human.tasks, identity=True)]
            if runtime == "torch-cuda":
                torch.cuda.synchronize()
            wall = time.perf_counter() - start
            tasks = {}
            for task in TASKS if runtime != "node" else ():  # each task alone, as the PyTorch runtime runs them
                start = time.perf_counter()
                for k in range(0, len(images), args.batch):
                    human._torch.measure_many(images[k:k + args.batch], [task], identity=task == "faces")
                if runtime == "torch-cuda":
                    torch.cuda.synchronize()
                tasks[task] = round(1000 * (time.perf_counter() - start) / len(images), 1)
        first = first or answers
        rows.append({"runtime": runtime, "ms_per_frame": round(1000 * wall / len(images), 1),
                     "frames_per_s": round(len(images) / wall, 2),
                     "matches_first": sum(same(a, b) for a, b in zip(first, answers)), "frames": len(images),
                     "task_ms_per_frame": tasks})
        print(f"{runtime}: {wall:.1f} s", file=sys.stderr, flush=True)
    base = rows[0]["ms_per_frame"]
    print(f"| runtime | ms per frame | frames/s | speed-up vs {rows[0]['runtime']} | answers equal to {rows[0]['runtime']}'s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['runtime']} | {r['ms_per_frame']} | {r['frames_per_s']} | {base / r['ms_per_frame']:.2f}x | "
              f"{r['matches_first']} / {r['frames']} |")
    if any(r["task_ms_per_frame"] for r in rows):
        print("\n| runtime | " + " | ".join(f"{t} ms/frame" for t in TASKS) + " |")
        print("| --- | " + " | ".join("---:" for _ in TASKS) + " |")
        for r in rows:
            if r["task_ms_per_frame"]:
                print(f"| {r['runtime']} | " + " | ".join(str(r["task_ms_per_frame"][t]) for t in TASKS) + " |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
