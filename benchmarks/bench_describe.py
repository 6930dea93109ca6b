"""Speed and memory of ``cinescribe describe`` on real footage and on a long video.

Every video is described by the ``cinescribe describe`` command with its default options (every
default analyser on) and an empty cache, in a subprocess whose whole process tree (Python and
its TF.js workers) is sampled every 0.1 s for its resident memory.  Printed per video: seconds per
stage (from the AD script's ``timings``), wall seconds, speed as a multiple of real time (video
seconds / wall seconds), peak memory and the peak of each quarter of the run (flat when memory does not grow
with the length of the video).  In the same run ``ffmpeg`` decodes each file at the
slots' sampling rate (``-vf fps=<shot_fps> -f null``): the baseline the ``x ffmpeg`` column divides by
(``n/a`` where no ``ffmpeg`` is on the PATH).  ``--device`` is describe's: where its PyTorch models run;
``--describe-options`` adds more of describe's options (e.g. ``"--no-ocr"``).

Videos: the real clips of ``../shared/data/clips`` (``--clips``) and, with ``--long-minutes N``,
a long video made here and cached under ``benchmarks/.cache``: ``--long-source`` (default: the
real ``vtest.avi``, a video with no dialogue, where every second is an AD slot: the slowest case)
looped to N minutes.  ``--clips-dir`` reads the clips from another folder.

    .venv/bin/python benchmarks/bench_describe.py [--clips vtest,box,cup,tree] [--clips-dir DIR]
        [--long-minutes 30] [--long-source demo|vtest] [--device auto|cpu|cuda] [--describe-options "..."]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from cinescribe.demo import make_demo_video
from cinescribe.describe.config import DescribeConfig

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
CLIPS = HERE.parent.parent / "shared" / "data" / "clips"
CLIP_FILES = {"vtest": "vtest.avi", "box": "box.mp4", "cup": "cup.mp4", "tree": "tree.avi"}


def loop_with_pyav(src: Path, minutes: float, out: Path) -> None:
    """``src``'s picture looped to ``minutes`` in H.264 through PyAV (where there is no ``ffmpeg``;
    the picture only, so for a source without sound)."""
    import av

    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate
        frames = [f.to_ndarray(format="yuv420p") for f in container.decode(stream)]
    total = round(minutes * 60 * rate)
    with av.open(str(out), "w") as output:
        video = output.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "23", "g": "50"})
        video.height, video.width = frames[0].shape[0] * 2 // 3, frames[0].shape[1]
        video.pix_fmt = "yuv420p"
        for i in range(total):
            frame = av.VideoFrame.from_ndarray(frames[i % len(frames)], format="yuv420p")
            frame.pts = None
            output.mux(video.encode(frame))
        output.mux(video.encode())


def long_video(source: str, minutes: float, clips: Path = CLIPS) -> Path:
    """``source`` looped to ``minutes`` (H.264, cached): "vtest" at its own size, "demo" (the
    generated demo, with dialogue) scaled to 1280x720."""
    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"long-{source}-{minutes:g}min.mp4"
    if out.exists():
        return out
    src = make_demo_video(CACHE / "demo.mp4").path if source == "demo" else clips / CLIP_FILES[source]
    if shutil.which("ffmpeg") is None and source == "vtest":
        tmp = out.with_suffix(".part.mp4")
        loop_with_pyav(src, minutes, tmp)
        tmp.rename(out)
        return out
    scale = ["-vf", "scale=1280:720"] if source == "demo" else []
    tmp = out.with_suffix(".part.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(src),
                    "-t", str(minutes * 60), *scale, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                    "-g", "50", "-c:a", "aac", "-b:a", "96k", str(tmp)], check=True)
    tmp.rename(out)
    return out


def make_long_video(minutes: float) -> Path:
    """The generated demo looped to ``minutes`` at 1280x720 (shared with ``bench_extract.py``)."""
    return long_video("demo", minutes)


def ffmpeg_decode_seconds(video: Path, fps: float) -> float | None:
    """Seconds ``ffmpeg`` takes to decode ``video`` at ``fps``; None without an ``ffmpeg`` on the PATH."""
    if shutil.which("ffmpeg") is None:
        return None
    start = time.perf_counter()
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-vf", f"fps={fps}", "-an", "-f", "null", "-"],
                   check=True)
    return time.perf_counter() - start


class PeakMemory:
    """The largest resident memory (bytes) of a process and all its descendants, sampled in a thread;
    ``samples`` keeps (seconds since start, bytes) of every sample."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.root, self.every, self.peak = psutil.Process(pid), every, 0
        self.samples: list[tuple[float, int]] = []
        self._start = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            self.peak = max(self.peak, total)
            self.samples.append((time.perf_counter() - self._start, total))
            self._stop.wait(self.every)

    def quarters(self) -> list[int]:
        """The peak (bytes) in each quarter of the run: flat when memory does not grow with length."""
        if not self.samples:
            return []
        end = self.samples[-1][0] or 1.0
        peaks = [0, 0, 0, 0]
        for t, total in self.samples:
            q = min(int(4 * t / end), 3)
            peaks[q] = max(peaks[q], total)
        return peaks

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def describe(video: Path, out: Path, cache: Path, device: str = "auto",
             options: tuple[str, ...] = ()) -> tuple[dict, float, int, list[int]]:
    """Run the describe command (its PyTorch models on ``device``, with more ``options``); return its AD
    script, the wall seconds, the peak memory (bytes) and the peak of each quarter of the run."""
    cmd = [sys.executable, "-m", "cinescribe", "describe", str(video), "-o", str(out), "-q", "--device", device,
           *options]
    env = {**os.environ, "CINESCRIBE_CACHE": str(cache)}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    peak = memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"error: describe failed on {video.name}: {err.strip().splitlines()[-1:]}")
    return json.loads(next(out.glob("*.ad.json")).read_text()), wall, peak, memory.quarters()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", default=",".join(CLIP_FILES), help="real clips to describe (comma-separated; '' for none)")
    ap.add_argument("--long-minutes", type=float, default=0.0, help="also describe a long video of this many minutes")
    ap.add_argument("--long-source", choices=["vtest", "demo"], default="vtest", help="what the long video loops")
    ap.add_argument("--clips-dir", type=Path, default=CLIPS, help="the folder of the real clips")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                    help="where describe's PyTorch models run (its --device)")
    ap.add_argument("--describe-options", default="", help="more options of describe, e.g. \"--no-ocr\"")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()

    videos = [(name, args.clips_dir / CLIP_FILES[name]) for name in filter(None, args.clips.split(","))]
    missing = [str(p) for _, p in videos if not p.is_file()]
    if missing:
        raise SystemExit(f"error: missing clips {missing}; put ../shared beside the repository or give --clips-dir")
    if args.long_minutes:
        videos.append((f"{args.long_source} x{args.long_minutes:g} min", long_video(args.long_source, args.long_minutes, args.clips_dir)))
    fps = DescribeConfig().shot_fps
    rows = []
    for name, video in videos:
        baseline = ffmpeg_decode_seconds(video, fps)
        whisper = Path.home() / ".cache" / "cinescribe" / "whisper"
        with tempfile.TemporaryDirectory(prefix="bench-describe-") as tmp:
            cache = Path(tmp) / "cache"
            cache.mkdir()
            if whisper.is_dir():  # the verified Whisper model is not perception work: share it
                (cache / "whisper").symlink_to(whisper)
            script, wall, peak, quarters = describe(video, Path(tmp) / "out", cache, args.device,
                                                    tuple(shlex.split(args.describe_options)))
        duration = script["video"]["duration"]
        rows.append({"video": name, "seconds": duration, "wall_s": round(wall, 2), "x_real_time": round(duration / wall, 3),
                     "x_ffmpeg": round(wall / baseline, 1) if baseline else None,
                     "ffmpeg_s": round(baseline, 3) if baseline else None,
                     "torch_device": script["software"].get("torch_device", "cpu"),
                     "peak_mib": round(peak / 2**20), "quarter_peaks_mib": [round(q / 2**20) for q in quarters],
                     "stages_s": script["timings_s"],
                     "slots": len(script["descriptions"]), "ads": sum(1 for d in script["descriptions"] if d["text"])})
        print(f"{name}: {wall:.1f} s for {duration:.1f} s of video", file=sys.stderr, flush=True)

    stages = list(dict.fromkeys(s for r in rows for s in r["stages_s"]))
    print("| video | device | video s | wall s | x real time | ffmpeg s | x ffmpeg | peak MiB | peak MiB per quarter | "
          + " | ".join(f"{s} s" for s in stages) + " |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in stages) + " |")
    for r in rows:
        ffmpeg_s, x_ffmpeg = (f"{r['ffmpeg_s']:.2f}", f"{r['x_ffmpeg']:.0f}") if r["ffmpeg_s"] else ("n/a", "n/a")
        print(f"| {r['video']} | {r['torch_device']} | {r['seconds']:.1f} | {r['wall_s']:.1f} | {r['x_real_time']:.2f} | "
              f"{ffmpeg_s} | {x_ffmpeg} | {r['peak_mib']} | {' / '.join(map(str, r['quarter_peaks_mib']))} | "
              + " | ".join(f"{r['stages_s'].get(s, 0):.1f}" for s in stages) + " |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
