"""Feature extraction speed and memory, per encoder backend, against decode-only and encode-only.

For each backend, three runs, each in a fresh child process (so that its peak RSS is its own):

* ``decode``: stream the video's frames at ``--fps`` (longest side ``--max-side``) and drop them;
* ``encode``: encode frames already in memory (the first 128 decoded frames, cycled) as
  many times as the video has sampled frames -- the encoder's cost alone;
* ``extract``: ``FeatureStore.extract`` into an empty cache (decode + encode + shards + manifest).

Printed: seconds, frames/s, the ratio of extract to decode + encode (goal <= 1.5) and to each
alone, and peak RSS.  ``extract`` is also run on the first fifth of the video: equal peak
RSS shows memory does not grow with the video's length.  The video is the demo looped to
``--minutes`` (default 10) at 1280x720, shared with ``bench_describe.py`` under ``benchmarks/.cache``.

Backends: ``pixels`` always; ``--encoder SPEC`` adds any other (``hf_clip:FOLDER``, ...);
``--synthetic-clip`` adds an open_clip checkpoint of ViT-B/32's shape with random weights
(the speed of a real one; its outputs mean nothing).

    .venv/bin/python benchmarks/bench_extract.py [--minutes 10] [--fps 4] [--synthetic-clip] [--json out.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_describe import CACHE, make_long_video  # noqa: E402  (the shared 720p test video)

ENCODE_SAMPLE = 128


def child(mode: str, video: str, spec: str, fps: float, max_side: int, cache: str) -> dict:
    """One measured run in this process; returns seconds, frames and peak RSS (MiB)."""
    from cinescribe.features.encoders import load_encoder
    from cinescribe.features.store import FeatureStore
    from cinescribe.media.frames import sample_frames
    from cinescribe.progress import set_quiet

    set_quiet(True)
    frames = 0
    if mode == "decode":
        start = time.perf_counter()
        with sample_frames(video, fps, max_side=max_side) as stream:
            for _ in stream:
                frames += 1
        seconds = time.perf_counter() - start
    else:
        enc = load_encoder(spec)
        if mode == "encode":
            with sample_frames(video, fps, max_side=max_side) as stream:
                sample = [f.image for f in itertools.islice(stream, ENCODE_SAMPLE)]
            total = int(json.loads(Path(cache).read_text())["frames"])
            start = time.perf_counter()
            while frames < total:
                n = min(enc.batch_size, total - frames)
                batch = [sample[(frames + i) % len(sample)] for i in range(n)]
                enc.encode_images(batch)
                frames += n
            seconds = time.perf_counter() - start
        else:
            start = time.perf_counter()
            entry = FeatureStore(cache).extract(video, enc, fps=fps, max_side=max_side)
            seconds = time.perf_counter() - start
            frames = int(entry.manifest["shape"][0])
    return {"seconds": seconds, "frames": frames, "peak_rss_mib": round(peak_rss_mib(), 1)}


def peak_rss_mib() -> float:
    """This process's peak resident set (``VmHWM``; unlike ``ru_maxrss`` it is not inherited
    from the parent across ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def synthetic_clip(folder: Path) -> str:
    """An open_clip ViT-B/32-shaped state dict (random weights) saved in ``folder``."""
    import torch

    g = torch.Generator().manual_seed(0)
    sd = {}

    def r(*shape):
        return torch.randn(*shape, generator=g) * 0.02

    w, tw = 768, 512
    sd.update({"visual.class_embedding": r(w), "visual.conv1.weight": r(w, 3, 32, 32),
               "visual.positional_embedding": r(50, w), "visual.ln_pre.weight": torch.ones(w),
               "visual.ln_pre.bias": r(w), "visual.ln_post.weight": torch.ones(w), "visual.ln_post.bias": r(w),
               "visual.proj": r(w, 512), "token_embedding.weight": r(49408, tw), "positional_embedding": r(77, tw),
               "ln_final.weight": torch.ones(tw), "ln_final.bias": r(tw), "text_projection": r(tw, 512),
               "logit_scale": torch.tensor(4.6)})
    for prefix, width in (("visual.transformer", w), ("transformer", tw)):
        for i in range(12):
            b = f"{prefix}.resblocks.{i}."
            sd.update({b + "ln_1.weight": torch.ones(width), b + "ln_1.bias": r(width),
                       b + "ln_2.weight": torch.ones(width), b + "ln_2.bias": r(width),
                       b + "attn.in_proj_weight": r(3 * width, width), b + "attn.in_proj_bias": r(3 * width),
                       b + "attn.out_proj.weight": r(width, width), b + "attn.out_proj.bias": r(width),
                       b + "mlp.c_fc.weight": r(4 * width, width), b + "mlp.c_fc.bias": r(4 * width),
                       b + "mlp.c_proj.weight": r(width, 4 * width), b + "mlp.c_proj.bias": r(width)})
    path = folder / "synthetic-ViT-B-32.pt"
    torch.save(sd, path)
    return f"open_clip:{path}"


def cut(video: Path, fraction: float) -> Path:
    out = CACHE / f"{video.stem}-first{fraction:g}.mp4"
    if not out.exists():
        import av

        with av.open(str(video)) as c:
            seconds = float(c.duration / 1e6) * fraction
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(video), "-t", f"{seconds:.2f}",
                        "-c", "copy", str(out)], check=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the generated video")
    ap.add_argument("--fps", type=float, default=4.0)
    ap.add_argument("--max-side", type=int, default=256)
    ap.add_argument("--encoder", action="append", default=[], help="another backend spec to measure")
    ap.add_argument("--synthetic-clip", action="store_true", help="also measure a ViT-B/32-shaped open_clip model")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, video, spec, fps, max_side, cache = args.child
        print(json.dumps(child(mode, video, spec, float(fps), int(max_side), cache)))
        return 0

    video = make_long_video(args.minutes)
    short = cut(video, 0.2)
    report = {"video": video.name, "minutes": args.minutes, "fps": args.fps, "max_side": args.max_side, "backends": {}}
    with tempfile.TemporaryDirectory(prefix="cinescribe-bench-") as tmp:
        tmp = Path(tmp)
        specs = ["pixels", *args.encoder] + ([synthetic_clip(tmp)] if args.synthetic_clip else [])
        common = (str(args.fps), str(args.max_side))
        decode = run_child("decode", str(video), "pixels", *common, str(tmp))
        (tmp / "count.json").write_text(json.dumps({"frames": decode["frames"]}))
        for spec in specs:
            name = spec.split(":")[0] + (" (synthetic ViT-B/32)" if "synthetic" in spec else "")
            encode = run_child("encode", str(video), spec, *common, str(tmp / "count.json"))
            ext = run_child("extract", str(video), spec, *common, str(tmp / f"cache-{len(report['backends'])}"))
            ext_short = run_child("extract", str(short), spec, *common, str(tmp / f"short-{len(report['backends'])}"))
            both = decode["seconds"] + encode["seconds"]
            report["backends"][name] = {
                "frames": ext["frames"], "decode": decode, "encode": encode, "extract": ext,
                "extract_first_fifth": ext_short,
                "extract_fps": round(ext["frames"] / ext["seconds"], 1),
                "ratio_to_decode_plus_encode": round(ext["seconds"] / both, 3),
                "ratio_to_decode": round(ext["seconds"] / decode["seconds"], 3),
                "ratio_to_encode": round(ext["seconds"] / encode["seconds"], 3),
            }
    print(f"video: {video.name} ({args.minutes:g} min, 1280x720), sampled at {args.fps:g} fps, frames <= {args.max_side} px")
    print(f"{'backend':<30}{'frames':>7}{'decode s':>10}{'encode s':>10}{'extract s':>10}{'frames/s':>10}"
          f"{'x(dec+enc)':>11}{'x dec':>7}{'x enc':>7}{'peak MiB':>10}{'1/5 video':>10}")
    for name, r in report["backends"].items():
        print(f"{name:<30}{r['frames']:>7}{r['decode']['seconds']:>10.2f}{r['encode']['seconds']:>10.2f}"
              f"{r['extract']['seconds']:>10.2f}{r['extract_fps']:>10.1f}{r['ratio_to_decode_plus_encode']:>11.2f}"
              f"{r['ratio_to_decode']:>7.2f}{r['ratio_to_encode']:>7.2f}{r['extract']['peak_rss_mib']:>10.0f}"
              f"{r['extract_first_fifth']['peak_rss_mib']:>10.0f}")
    print("decode-only peak RSS: {:.0f} MiB".format(report["backends"]["pixels"]["decode"]["peak_rss_mib"]))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
