"""Batch throughput: video-minutes described per wall-clock minute, 1 worker against 2, on this machine.

Generates ``--videos`` different videos of ``--seconds`` each (640x360 photo shots with
pan/zoom and espeak-ng speech; cached under ``benchmarks/.cache/batch``) and runs
``cinescribe batch`` on them with 1 worker (the baseline) and with 2 workers in the same
run, each into a fresh output root, with all perception models and again with none (the
pixels-only configuration).  It prints video-minutes per wall-minute, the ratio to 1
worker, and the measured cost of each stage per video-minute.  Wall time includes
starting the workers and loading their models: what a user waits for.

The runs without models split the slot stage into its CPU part (decoding the slot
frames, pixel statistics) and the perception models' part (the difference).  Then,
clearly labelled, an *estimate* for a 1,000-film library on a GPU cluster, computed from
those measured per-stage costs and from assumptions given as flags (film length, GPU
count, how much faster the perception models run on a GPU); the assumptions are printed
with the result and are not measurements.

    .venv/bin/python benchmarks/bench_batch.py [--videos 4] [--seconds 30] [--backend auto] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from cinescribe.demo import ShotSpec, make_test_video
from cinescribe.describe.pipeline import DescribeConfig
from cinescribe.progress import set_quiet
from cinescribe.scale.batch import BatchOptions, run_batch

CACHE = Path(__file__).resolve().parent / ".cache" / "batch"
IMAGES = ["astronaut", "coffee", "chelsea", "rocket", "camera", "motorcycle_left"]
LINES = ["Where were you last night?", "I was at the station, waiting.", "Nobody came.", "Then we go now.",
         "Did you bring the letter?", "It is in the car."]
CPU_STAGES = ("probe", "dialogue", "shots")  # decoding and speech activity: CPU work in any deployment
SLOTS = "slots"  # slot frames decoded + pixel statistics (CPU) + perception models (the GPU-able part)


def make_videos(n: int, seconds: float) -> list[Path]:
    """``n`` different videos (shot order, motion and speech differ), generated once and cached."""
    folder = CACHE / f"{n}x{seconds:g}s"
    folder.mkdir(parents=True, exist_ok=True)
    videos = []
    for i in range(n):
        path = folder / f"film{i + 1:02d}.mp4"
        if not path.exists():
            shots = [ShotSpec(IMAGES[(i + k) % len(IMAGES)], 5.0, ("pan", "zoom", "none")[(i + k) % 3])
                     for k in range(int(seconds // 5))]
            speech = [(1.0 + 7.0 * k, LINES[(i + k) % len(LINES)]) for k in range(int(seconds // 7))]
            part = Path(tempfile.mkdtemp(dir=folder)) / path.name
            make_test_video(part, shots=shots, speech=speech, duration=seconds, size=(640, 360))
            part.rename(path)
            shutil.rmtree(part.parent)
        videos.append(path)
    return videos


def run(videos_dir: Path, workers: int, cfg: DescribeConfig, backend: str) -> dict:
    """One batch into a fresh root; the figures it reports plus each video's describe stage timings."""
    root = Path(tempfile.mkdtemp(prefix=f"bench-batch-{workers}w-"))
    try:
        start = time.perf_counter()
        options = BatchOptions(backend=backend, workers=workers, cache=str(root / ".features"))  # no cache reuse
        report = run_batch(videos_dir, root, cfg=cfg, options=options, show_progress=False)
        wall = time.perf_counter() - start
        done = [r for r in report.rows if r.status == "done"]
        stages: dict[str, float] = {}
        for r in done:
            for name, seconds in json.loads(next(Path(r.outdir).glob("*.ad.json")).read_text())["timings_s"].items():
                stages[name] = stages.get(name, 0.0) + seconds
        video_s = sum(r.video_seconds for r in done)
        return {"workers": workers, "backend": report.info.get("backend"), "wall_s": wall, "video_s": video_s,
                "done": len(done), "failed": [f"{Path(r.video).name}: {r.error}" for r in report.rows
                                              if r.status == "failed"],
                "throughput": (video_s / 60) / (wall / 60), "job_s": sum(r.seconds for r in done),
                "stages_s": stages}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def estimate(cpu_per_min: float, model_per_min: float, args: argparse.Namespace) -> dict:
    """The 1,000-film estimate; every input that is not measured is an argument (an assumption)."""
    cpu = cpu_per_min * args.film_minutes
    model = model_per_min * args.film_minutes / args.gpu_speedup
    film_s = cpu + model
    films_per_worker = -(-args.films // args.gpus)  # ceil: one worker per GPU
    hours = films_per_worker * film_s / 3600
    return {"film_cpu_s": cpu, "film_model_s": model, "film_s": film_s, "films_per_worker": films_per_worker,
            "hours": hours, "gpu_hours": hours * args.gpus}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each generated video")
    ap.add_argument("--backend", default="auto", help="auto, ray or processes")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    est = ap.add_argument_group("assumptions of the 1,000-film estimate (not measured)")
    est.add_argument("--films", type=int, default=1000)
    est.add_argument("--film-minutes", type=float, default=100.0, help="average film length")
    est.add_argument("--gpus", type=int, default=16, help="GPUs in the cluster, one worker per GPU")
    est.add_argument("--gpu-speedup", type=float, default=10.0,
                     help="how much faster the perception models run on one GPU than in one worker here")
    args = ap.parse_args()

    set_quiet(True)
    full = DescribeConfig()
    pixels = DescribeConfig(objects=False, faces=False, poses=False, ocr=False)
    videos = make_videos(args.videos, args.seconds)
    load_before = os.getloadavg()[0]
    runs = {(name, w): run(videos[0].parent, w, cfg, args.backend)
            for name, cfg in (("all models", full), ("no models", pixels)) for w in (1, 2)}
    base, split = runs["all models", 1], runs["no models", 1]
    print(f"{args.videos} videos x {args.seconds:g} s, backend {base['backend']}, {os.cpu_count()} CPUs, "
          f"load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after (other work on the machine)")
    print(f"{'perception':<12}{'workers':>8}{'done':>6}{'wall s':>9}{'video-min/wall-min':>20}{'x 1 worker':>12}")
    for (name, workers), r in runs.items():
        one = runs[name, 1]["throughput"]
        print(f"{name:<12}{workers:>8}{r['done']:>6}{r['wall_s']:>9.1f}{r['throughput']:>20.3f}"
              f"{r['throughput'] / one if one else 0:>12.2f}")
        for failure in r["failed"]:
            print(f"    failed: {failure}")

    def per_min(r: dict) -> dict[str, float]:
        return {s: v / (r["video_s"] / 60) for s, v in r["stages_s"].items()} if r["video_s"] else {}

    measured, no_models = per_min(base), per_min(split)
    models = max(0.0, measured.get(SLOTS, 0.0) - no_models.get(SLOTS, 0.0))
    print("\nper-stage cost, 1 worker (seconds per video-minute):")
    print(f"  {'stage':<14}{'all models':>12}{'no models':>12}")
    for name in measured:
        print(f"  {name:<14}{measured[name]:>12.2f}{no_models.get(name, 0.0):>12.2f}")
    print(f"  perception models alone (slots, difference): {models:.2f}")
    print(f"  once per batch: {base['wall_s'] - base['job_s']:.1f} s starting the workers (Ray, imports), "
          "fingerprints, report; each worker loads its models inside its first video's slots stage")

    cpu = sum(measured.get(s, 0.0) for s in CPU_STAGES) + no_models.get(SLOTS, 0.0)
    e = estimate(cpu, models, args)
    print(f"\nESTIMATE (a computation, not a measurement) for {args.films} films on a GPU cluster.\n"
          f"  measured here: {cpu:.1f} s of CPU work (decode, speech activity, shots, slot frames) and {models:.1f} s "
          "of perception-model work per video-minute, 1 worker.\n"
          f"  assumptions: {args.film_minutes:g} min per film; {args.gpus} GPUs, one worker each, working on one "
          f"film at a time; the perception models {args.gpu_speedup:g}x faster on a GPU than here; the CPU work as "
          "fast as here; no time lost to the network or storage.\n"
          f"  per film: {e['film_cpu_s'] / 60:.1f} min CPU + {e['film_model_s'] / 60:.1f} min GPU "
          f"= {e['film_s'] / 60:.1f} min; {e['films_per_worker']} films per worker\n"
          f"  => about {e['hours']:.1f} hours wall-clock ({e['gpu_hours']:.0f} GPU-hours)")
    if args.json:
        args.json.write_text(json.dumps({"runs": [{"perception": k[0], **r} for k, r in runs.items()],
                                         "per_video_minute_s": measured,
                                         "per_video_minute_no_models_s": no_models, "estimate": e,
                                         "assumptions": {k: getattr(args, k) for k in
                                                         ("films", "film_minutes", "gpus", "gpu_speedup")}},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
