"""Known-answer experiment for ``cinescribe classify``: fusion vs single streams, cross-attention vs concat.

Each generated clip (64x64, 3 s at 8 fps, grey noisy background) shows one square that is red or
blue (the two colours have the same grey level) and either stays still or oscillates with a
period of one second.  The label is ``positive`` when the square is red XOR it moves, so neither
colour nor motion alone says anything about the label:

* the ``image`` stream (pixels embeddings at 1 frame per second) sees the colour, but the
  oscillation brings the square back to the same place at every sampled second, so it sees no
  motion;
* the ``video`` (motion) stream (grey frame differences at 4 frames per second) sees the motion
  but not the colour.

Stream features are computed from the generated frames with the product's own functions
(``PixelEncoder.encode_images``, ``motion_features``) at the times ``StreamExtractor`` would sample
them; writing and decoding the videos is skipped to keep the run short.  Four models are trained
with several seeds on the same train set and scored on a held-out test set:

    .venv/bin/python scripts/classify_experiment.py [--seeds 3] [--train 320] [--test 160] [--epochs 60]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from cinescribe.data.labels import Labels
from cinescribe.evaluate.classification import classification_metrics
from cinescribe.features.encoders.pixels import PixelEncoder
from cinescribe.train.classify import ClassifyConfig, VideoStreams, motion_features, predict, train_classifier

SIDE, FPS, SECONDS = 64, 8, 3.0
RED, BLUE = (220, 40, 40), (40, 90, 255)  # grey level (ITU-R 601) 93.8 and 93.9
NAMES = ["negative", "positive"]
VARIANTS = {
    "image only": {"streams": ("image",), "fusion": "cross"},
    "motion only": {"streams": ("video",), "fusion": "cross"},
    "concat fusion": {"streams": ("video", "image"), "fusion": "concat"},
    "cross-attention fusion": {"streams": ("video", "image"), "fusion": "cross"},
}


def make_clip(red: bool, moving: bool, rng: np.random.Generator) -> np.ndarray:
    """``(SECONDS * FPS, SIDE, SIDE, 3) uint8`` frames of one clip (see the module docstring)."""
    n = int(SECONDS * FPS)
    size = int(rng.integers(14, 21))
    amp = float(rng.uniform(8, 14)) if moving else 0.0
    angle = rng.uniform(0, 2 * np.pi)
    margin = size // 2 + 15
    cx, cy = rng.uniform(margin, SIDE - margin, 2)
    colour = np.clip(np.array(RED if red else BLUE) + rng.normal(0, 8, 3), 0, 255)
    background = rng.uniform(110, 150)
    frames = np.empty((n, SIDE, SIDE, 3), np.uint8)
    for k in range(n):
        shift = amp * np.sin(2 * np.pi * k / FPS)  # period 1 s
        x0 = int(round(cx + shift * np.cos(angle) - size / 2))
        y0 = int(round(cy + shift * np.sin(angle) - size / 2))
        img = np.full((SIDE, SIDE, 3), background) + rng.normal(0, 6, (SIDE, SIDE, 1))
        img[max(y0, 0):y0 + size, max(x0, 0):x0 + size] = colour
        frames[k] = np.clip(img, 0, 255).astype(np.uint8)
    return frames


def write_video(path: str | Path, frames: np.ndarray, fps: int = FPS) -> Path:
    """Encode ``frames`` as an H.264 MP4 without audio (for CLI runs and tests)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for f in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        container.mux(stream.encode())
    return Path(path)


def label_of(red: bool, moving: bool) -> int:
    return int(red != moving)


def clip_streams(name: str, frames: np.ndarray, encoder: PixelEncoder, image_fps: float = 1.0,
                 motion_fps: float = 4.0) -> VideoStreams:
    """The streams ``StreamExtractor`` computes from a video, from its frames in memory."""
    times = np.arange(len(frames)) / FPS
    img_idx = np.arange(0, len(frames), int(FPS / image_fps))
    mot_idx = np.arange(0, len(frames), int(FPS / motion_fps))
    return VideoStreams(name, SECONDS, {
        "image": (times[img_idx], encoder.encode_images(list(frames[img_idx]))),
        "video": (times[mot_idx][1:], motion_features(frames[mot_idx])),
    })


def dataset(n: int, seed: int, encoder: PixelEncoder, prefix: str) -> tuple[list[VideoStreams], Labels]:
    rng = np.random.default_rng(seed)
    samples, targets = [], []
    for i in range(n):
        red, moving = bool(i % 2), bool((i // 2) % 2)  # balanced cells
        samples.append(clip_streams(f"{prefix}{i:04d}", make_clip(red, moving, rng), encoder))
        targets.append(label_of(red, moving))
    return samples, Labels("multiclass", [s.name for s in samples], list(NAMES), np.array(targets, np.int64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--train", type=int, default=320)
    parser.add_argument("--test", type=int, default=160)
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(1)  # tiny models: one thread is faster than two on a shared machine
    began = time.perf_counter()
    encoder = PixelEncoder()
    train, train_labels = dataset(args.train, 1, encoder, "train")
    test, test_labels = dataset(args.test, 2, encoder, "test")
    print(f"data: {args.train} train / {args.test} test clips, features in {time.perf_counter() - began:.1f} s")
    rows = []
    for name, variant in VARIANTS.items():
        accs, f1s = [], []
        for seed in range(args.seeds):
            cfg = ClassifyConfig(streams=variant["streams"], epochs=args.epochs, batch_size=16, lr=3e-3,
                                 val_fraction=0.2, seed=seed,
                                 model_config={"d_model": 32, "gru_hidden": 32, "heads": 4, "fusion": variant["fusion"]})
            model = train_classifier(train, train_labels, cfg).model
            m = classification_metrics("multiclass", NAMES, test_labels.targets, predict(model, test))
            accs.append(m["accuracy"])
            f1s.append(m["macro_F1"])
        rows.append((name, np.mean(accs), np.std(accs), np.mean(f1s), np.std(f1s)))
        print(f"  {name}: accuracy {rows[-1][1]:.3f}", flush=True)
    print(f"\n| model (test set, {args.seeds} seeds) | accuracy | macro-F1 |\n|---|---|---|")
    for name, am, asd, fm, fsd in rows:
        print(f"| {name} | {am:.3f} ± {asd:.3f} | {fm:.3f} ± {fsd:.3f} |")
    print(f"\nchance = 0.5; total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
