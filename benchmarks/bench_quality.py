"""Real-footage quality of ``describe``: facts said, false claims, cuts and time per stage.

Runs ``cinescribe describe`` (the installed command, default options, an empty feature cache so
every model runs) on the real clips of ``../shared/data/clips/`` and on the generated demo, and
scores each AD script against ``benchmarks/quality_truth.yaml`` -- what a describer would say,
written down from looking at the frames (:mod:`cinescribe.evaluate.coverage`):

- ``required``: required concepts said / required concepts;
- ``false``: content words of the ADs that are not true of the clip (each occurrence counts);
- ``cut R`` / ``cut P``: cut recall and precision against the labelled cuts (a detection within
  ``--tolerance`` seconds of a hard cut, or inside a transition's span, is a hit; a clip with no
  cuts and no detections scores 1);
- seconds per stage, from the script's own ``timings_s``.

    .venv/bin/python benchmarks/bench_quality.py [--clips vtest,box] [--show] [--json out.json] [--cache DIR]
        [--describe-options "--model DIR"]

``--cache DIR`` keeps the per-frame model results in ``DIR`` between runs (while iterating on the
rules of ``describe``, which run afresh each time); the stage times are then not the models' own.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from cinescribe.evaluate.coverage import ClipTruth, coverage, cut_score

HERE = Path(__file__).resolve().parent
TRUTH = HERE / "quality_truth.yaml"
CLIPS = HERE.parent.parent / "shared" / "data" / "clips"
CACHE = HERE / ".cache"


def clip_path(name: str, entry: dict) -> tuple[Path, list[float]]:
    """The video of a truth entry and, for generated videos, the cut times their generator knows."""
    if "file" in entry:
        path = CLIPS / entry["file"]
        if not path.is_file():
            raise SystemExit(f"error: {path} is missing; the benchmark needs ../shared/data/clips beside the repository")
        return path, [float(c) for c in entry.get("cuts") or ()]
    if entry.get("generated") == "demo":
        from cinescribe.demo import make_demo_video

        CACHE.mkdir(exist_ok=True)
        info = make_demo_video(CACHE / "quality-demo.mp4")
        return info.path, list(info.cuts)
    raise SystemExit(f"error: truth entry {name!r} names neither a file nor a known generated video")


def describe(video: Path, out: Path, cache: Path, extra: list[str] | None = None) -> tuple[dict, float]:
    """Run the describe command (with ``extra`` options); return its AD script and the wall-clock seconds."""
    exe = Path(sys.executable).with_name("cinescribe")
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "cinescribe"]),
           "describe", str(video), "-o", str(out), *(extra or [])]
    env = {**os.environ, "CINESCRIBE_CACHE": str(cache)}
    start = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"error: describe failed on {video.name}: {run.stderr.strip().splitlines()[-1:]}")
    script = json.loads(next(out.glob("*.ad.json")).read_text())
    return script, seconds


def score(name: str, entry: dict, script: dict, cuts: list[float], tolerance: float) -> dict:
    truth = ClipTruth.from_dict(name, {**entry, "cuts": cuts})
    ads = [d["text"] for d in script["descriptions"] if d["text"]]
    cov = coverage(ads, truth)
    detected = [s["start"] for s in script["timeline"]["shots"][1:]]
    cut = cut_score(detected, truth, tolerance)
    return {
        "clip": name, "duration": script["video"]["duration"], "ads": ads, "slots": len(script["descriptions"]),
        "said": cov.said, "missed": cov.missed, "false_claims": cov.false_claims,
        "cuts": {"truth": cut.truth, "detected": cut.detected, "hits": cut.hits,
                 "recall": cut.recall, "precision": cut.precision},
        "stages_s": script.get("timings_s", {}),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", help="comma-separated truth entries to run (default: all)")
    ap.add_argument("--tolerance", type=float, default=0.5, help="seconds a detected cut may be off (default 0.5)")
    ap.add_argument("--show", action="store_true", help="print every AD and every false claim")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    ap.add_argument("--cache", type=Path, help="feature cache to reuse between runs (default: a fresh, empty one)")
    ap.add_argument("--describe-options", default="", help="more options for describe, e.g. '--model DIR' (the learned writer)")
    args = ap.parse_args()

    truth = yaml.safe_load(TRUTH.read_text())
    names = args.clips.split(",") if args.clips else list(truth)
    unknown = [n for n in names if n not in truth]
    if unknown:
        raise SystemExit(f"error: no truth entry {', '.join(unknown)}; choose from {', '.join(truth)}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        for name in names:
            video, cuts = clip_path(name, truth[name])
            script, wall = describe(video, Path(tmp) / name, args.cache or Path(tmp) / "cache",
                                    shlex.split(args.describe_options))
            result = score(name, truth[name], script, cuts, args.tolerance)
            result["wall_s"] = round(wall, 2)
            results.append(result)

    stages = sorted({k for r in results for k in r["stages_s"]})
    head = f"{'clip':<8}{'sec':>6}{'ADs':>5}{'required':>10}{'false':>7}{'cut R':>7}{'cut P':>7}{'wall s':>8}"
    print(head + "".join(f"{s[:9]:>10}" for s in stages))
    tot = {"said": 0, "req": 0, "false": 0, "hits": 0, "truth": 0, "det": 0, "wall": 0.0}
    for r in results:
        c = r["cuts"]
        req = len(r["said"]) + len(r["missed"])
        print(f"{r['clip']:<8}{r['duration']:>6.1f}{len(r['ads']):>5}{len(r['said']):>6}/{req:<3}"
              f"{len(r['false_claims']):>7}{c['recall']:>7.2f}{c['precision']:>7.2f}{r['wall_s']:>8.1f}"
              + "".join(f"{r['stages_s'].get(s, 0.0):>10.2f}" for s in stages))
        tot["said"] += len(r["said"])
        tot["req"] += req
        tot["false"] += len(r["false_claims"])
        tot["hits"] += c["hits"]
        tot["truth"] += c["truth"]
        tot["det"] += c["detected"]
        tot["wall"] += r["wall_s"]
    recall = tot["hits"] / tot["truth"] if tot["truth"] else 1.0
    precision = tot["hits"] / tot["det"] if tot["det"] else 1.0
    print(f"{'total':<8}{'':>6}{sum(len(r['ads']) for r in results):>5}{tot['said']:>6}/{tot['req']:<3}"
          f"{tot['false']:>7}{recall:>7.2f}{precision:>7.2f}{tot['wall']:>8.1f}")
    if args.show:
        for r in results:
            print(f"\n== {r['clip']}: missed {', '.join(r['missed']) or 'nothing'}; "
                  f"false claims: {', '.join(r['false_claims']) or 'none'}")
            for i, text in enumerate(r["ads"], 1):
                print(f"  {i:>2}. {text}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
