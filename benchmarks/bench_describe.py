"""Real-time factor of ``describe`` and of each of its stages on a 10-minute 720p video.

The video is made here (the demo video looped to 10 minutes and scaled to 1280x720,
H.264 + AAC) and cached under ``benchmarks/.cache``.  In the same run, ``ffmpeg``
decodes the same file at the same sampling rate (``-vf fps=<shot_fps> -f null``) as the
baseline; ``describe`` runs with an empty feature store, so every perception model runs.
Every stage is reported as seconds, real-time factor (seconds per second of video) and
ratio to that baseline.

    .venv/bin/python benchmarks/bench_describe.py [--minutes 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cinescribe.demo import make_demo_video
from cinescribe.describe.pipeline import DescribeConfig, describe_video
from cinescribe.features.store import FeatureStore
from cinescribe.progress import set_quiet

CACHE = Path(__file__).resolve().parent / ".cache"


def make_long_video(minutes: float) -> Path:
    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"long-{minutes:g}min-720p.mp4"
    if out.exists():
        return out
    demo = make_demo_video(CACHE / "demo.mp4")
    loops = int(minutes * 60 // demo.duration) + 1
    tmp = out.with_suffix(".part.mp4")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(demo.path),
         "-t", str(minutes * 60), "-vf", "scale=1280:720", "-c:v", "libx264", "-preset", "veryfast",
         "-crf", "23", "-g", "50", "-c:a", "aac", "-b:a", "96k", str(tmp)],
        check=True,
    )
    tmp.rename(out)
    return out


def ffmpeg_decode_seconds(video: Path, fps: float) -> float:
    start = time.perf_counter()
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-vf", f"fps={fps}", "-an", "-f", "null", "-"],
                   check=True)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the generated video")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()

    video = make_long_video(args.minutes)
    cfg = DescribeConfig()
    baseline = ffmpeg_decode_seconds(video, cfg.shot_fps)
    set_quiet(True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-describe-cache-") as cache:  # cold: every model runs
        script = describe_video(video, cfg=cfg, store=FeatureStore(cache))
    total = time.perf_counter() - start
    duration = script.video["duration"]

    rows = [("ffmpeg decode (baseline)", baseline), *script.timings.items(), ("describe total", total)]
    print(f"video: {video.name}, {duration:.0f} s, {script.video['width']}x{script.video['height']}, "
          f"{len(script.descriptions)} slots, {len(script.spoken)} ADs")
    print(f"{'stage':<26}{'seconds':>10}{'RTF':>10}{'x ffmpeg':>10}")
    for name, seconds in rows:
        print(f"{name:<26}{seconds:>10.2f}{seconds / duration:>10.4f}{seconds / baseline:>10.2f}")
    if args.json:
        args.json.write_text(json.dumps({"video_seconds": duration, "baseline_s": baseline, "total_s": total,
                                         "stages_s": script.timings}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
