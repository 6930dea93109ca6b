"""Decode passes of ``describe``: how often the video is opened and decoded, time, peak memory.

Runs ``describe`` on a long generated video (the demo looped, 640x360, H.264 + AAC; cached
under ``benchmarks/.cache``) twice per length, each in a fresh process: with the code of a
git revision (``--before``, default ``main``: the code is taken with ``git archive``) and with
this tree.  Both use the ``content`` shot detector at 4 frames/s and no perception models,
so the difference is the decoding alone.  Each run prints: frame streams opened, frames
decoded, seconds of the ``shots`` and ``slots`` stages, total seconds and peak resident memory.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_decode.py [--minutes 2 6] [--before main]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"

CHILD = r"""
import json, resource, sys, time
import cinescribe.media.frames as F
from cinescribe.describe.pipeline import DescribeConfig, describe_video
from cinescribe.progress import set_quiet

counts = {"streams": 0, "frames": 0}
init, decoded = F.FrameStream.__init__, F.FrameStream._decoded

def counting_init(self, *a, **k):
    counts["streams"] += 1
    init(self, *a, **k)

def counting_decoded(self):
    for frame in decoded(self):
        counts["frames"] += 1
        yield frame

F.FrameStream.__init__, F.FrameStream._decoded = counting_init, counting_decoded
set_quiet(True)
options = dict(vad="energy", objects=False, faces=False, poses=False, ocr=False)
if "shots" in DescribeConfig.__dataclass_fields__:
    options["shots"] = "content"
start = time.perf_counter()
script = describe_video(sys.argv[1], cfg=DescribeConfig(**options), analysers=[])
total = time.perf_counter() - start
print(json.dumps({**counts, "shots_s": script.timings["shots"], "slots_s": script.timings["slots"],
                  "total_s": round(total, 2), "slots": len(script.descriptions),
                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def long_video(minutes: float) -> Path:
    from cinescribe.demo import make_demo_video

    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"long-{minutes:g}min-360p.mp4"
    if out.exists():
        return out
    demo = make_demo_video(CACHE / "demo.mp4")
    tmp = out.with_suffix(".part.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", str(int(minutes * 60 // demo.duration) + 1),
                    "-i", str(demo.path), "-t", str(minutes * 60), "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "23", "-c:a", "aac", "-b:a", "64k", str(tmp)], check=True)
    tmp.rename(out)
    return out


def run(src: Path, video: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(video)], env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"error: describe failed with {src}:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[2.0, 6.0])
    ap.add_argument("--before", default="main", help="git revision whose src/ is the 'before' code")
    args = ap.parse_args()
    repo = HERE.parent
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(repo), "archive", args.before, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        print(f"{'video':>8s} {'code':>8s} {'streams':>8s} {'frames':>8s} {'shots s':>8s} {'slots s':>8s} "
              f"{'total s':>8s} {'slots':>6s} {'peak MB':>8s}")
        for minutes in args.minutes:
            video = long_video(minutes)
            for label, src in ((args.before, Path(tmp) / "src"), ("this", repo / "src")):
                r = run(src, video)
                print(f"{minutes:6g} m {label:>8s} {r['streams']:8d} {r['frames']:8d} {r['shots_s']:8.1f} "
                      f"{r['slots_s']:8.1f} {r['total_s']:8.1f} {r['slots']:6d} {r['peak_mb']:8d}", flush=True)


if __name__ == "__main__":
    main()
