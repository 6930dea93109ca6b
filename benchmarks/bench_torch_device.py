"""Speed of describe's PyTorch models on each torch device, and how far the GPU's results are from the CPU's.

Models: TransNetV2 (:mod:`cinescribe.media.transnet`, 100-frame windows of 48x27 frames, as
:class:`~cinescribe.media.transnet.TransNetScorer` streams them: one window per 50 frames) and the
ImageNet MobileNetV2 (:mod:`cinescribe.features.imagenet`, batches of 640x360 frames, as the
analyser gets them). Inputs are random frames from a fixed seed. Per device: the seconds of
``--repeats`` runs after one warm-up (the GPU synchronised before the clock stops) and frames per
second, and the speed-up over the CPU measured in the same run; on a GPU also the largest absolute
difference of its outputs from the CPU's (TransNetV2's transition probabilities, MobileNetV2's class
probabilities). Needs only torch and the two weight packages: no decoder, no video.

    python benchmarks/bench_torch_device.py [--devices cpu,cuda] [--windows 20] [--batch 8] [--repeats 5]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from cinescribe.features.imagenet import ImageNetClassifier
from cinescribe.media.transnet import STEP, TransNetScorer, load_transnet
from cinescribe.torch_device import resolve_device


def timed(run, device: str, repeats: int):
    """``(seconds per run, last output)`` of ``run()`` over ``repeats`` runs after one warm-up."""
    out = run()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        out = run()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats, out


def transnet_scores(scorer: TransNetScorer, frames: np.ndarray) -> np.ndarray:
    """Every frame's ``(single, many)`` probabilities, ``(n, 2)``, streamed as describe streams them."""
    out = [s for f in frames for s in scorer.push(f)] + scorer.finish()
    return np.asarray(out, np.float64)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", default="cpu,cuda",
                    help="comma-separated torch devices; cuda is left out without a GPU")
    ap.add_argument("--windows", type=int, default=20, help="TransNetV2 windows per run (50 frames each)")
    ap.add_argument("--batch", type=int, default=8, help="frames per MobileNetV2 batch")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per model and device")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()

    devices = [d for d in args.devices.split(",") if d != "cuda" or torch.cuda.is_available()]
    rng = np.random.default_rng(0)
    n_frames = args.windows * STEP  # one window per 50 frames
    tiny = rng.integers(0, 256, (n_frames, 27, 48, 3), dtype=np.uint8)
    pictures = [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(args.batch)]
    rows, reference = [], {}
    for name in devices:
        device = resolve_device(name)
        scorer = TransNetScorer(load_transnet(device=device), device)
        t_net, scores = timed(lambda: transnet_scores(scorer, tiny), device, args.repeats)
        classifier = ImageNetClassifier(device=device)
        t_cls, (probs, _) = timed(lambda: classifier.run(pictures), device, args.repeats)
        row = {"device": device, "gpu": torch.cuda.get_device_name() if device == "cuda" else "",
               "transnet_s": round(t_net, 4), "transnet_fps": round(len(tiny) / t_net, 1),
               "imagenet_s": round(t_cls, 4), "imagenet_fps": round(len(pictures) / t_cls, 1)}
        if device == "cpu":
            reference = {"transnet": scores, "imagenet": probs}
        elif reference:
            row["transnet_max_diff"] = float(np.abs(scores - reference["transnet"]).max())
            row["imagenet_max_diff"] = float(np.abs(probs - reference["imagenet"]).max())
        rows.append(row)
        print(f"{device}: {row}", file=sys.stderr, flush=True)
    cpu = next((r for r in rows if r["device"] == "cpu"), None)
    print(f"| device | TransNetV2 frames/s | x CPU | MobileNetV2 frames/s (batch {args.batch}) | x CPU | "
          "max diff from CPU (TransNetV2 / MobileNetV2) |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        diff = f"{r['transnet_max_diff']:.2e} / {r['imagenet_max_diff']:.2e}" if "transnet_max_diff" in r else "-"
        net_x, cls_x = ((f"{r['transnet_fps'] / cpu['transnet_fps']:.1f}",
                         f"{r['imagenet_fps'] / cpu['imagenet_fps']:.1f}") if cpu else ("-", "-"))
        print(f"| {(r['device'] + ' ' + r['gpu']).strip()} | {r['transnet_fps']} | {net_x} | {r['imagenet_fps']} | "
              f"{cls_x} | {diff} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
