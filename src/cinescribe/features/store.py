"""The on-disk feature store: per-video frame embeddings, written once, read by everything after.

Layout under the cache folder (``--cache``, else ``<cache root>/features``: ``$CINESCRIBE_CACHE``,
``$XDG_CACHE_HOME/cinescribe`` or ``~/.cache/cinescribe``)::

    <video fingerprint>/<encoder name>-<hash of encoder id>-<fps>fps-<max side>px/
        manifest.json            what the entry is (see below); the commit point
        shard-00000.safetensors  "features" (n, dim) float32, "times" (n,) float64 seconds,
        shard-00001.safetensors  "indices" (n,) int64 sample numbers (instant = index / fps)

The manifest records the format, the video (fingerprint, path, duration), the encoder
(id, weights hash, dim), the sampling (fps, longest side), dtype, shape, each shard (file,
frame count, first/last sample index, first/last time, sha256) and, once complete, all
frame times.  Every file is written to a temporary name and renamed; a shard counts only
once the manifest lists it, so an interrupted extraction resumes after the last listed
shard.  The entry is keyed by the video's content fingerprint, and a manifest whose
encoder weights hash, sampling or format differ is discarded and rebuilt; a shard that
is missing, fails its checksum or has the wrong shape is reported (warning) and the
entry is rebuilt from that shard on.

Readers get a :class:`FeatureEntry` -- the same small API as MAD's released arrays
(:mod:`.mad`): ``times (n,)``, ``features() -> (n, dim)``, ``window(start, end)``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import numpy as np

from .. import __version__
from ..atomic import atomic_path, write_json
from ..cache import cache_root
from ..defaults import FEATURE_FPS, FEATURE_MAX_SIDE
from ..errors import InputError
from ..media.fingerprint import fingerprint
from ..media.frames import sample_frames
from ..media.probe import probe
from ..progress import progress_bar
from .encoders.base import FrameEncoder

log = logging.getLogger("cinescribe.features")

FORMAT = 1
SHARD_FRAMES = 512
MANIFEST = "manifest.json"


def default_cache_dir() -> Path:
    """``<cache root>/features`` (see :func:`cinescribe.cache.cache_root`)."""
    return cache_root() / "features"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "x"


class FeatureSource(Protocol):
    """Frame features of one video, however they were made: ``(n, dim)`` rows at ``times``."""

    encoder_id: str
    fps: float
    dim: int
    times: np.ndarray  # (n,) seconds, ascending

    def features(self) -> np.ndarray: ...

    def window(self, start: float, end: float) -> tuple[np.ndarray, np.ndarray]: ...


def window_of(times: np.ndarray, feats: np.ndarray, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows with ``start <= t <= end``: ``(times (k,), features (k, dim))``."""
    lo, hi = np.searchsorted(times, start, "left"), np.searchsorted(times, end, "right")
    return times[lo:hi], feats[lo:hi]


@dataclass
class FeatureEntry:
    """A complete store entry, read lazily shard by shard."""

    folder: Path
    manifest: dict

    @property
    def encoder_id(self) -> str:
        return self.manifest["encoder"]["id"]

    @property
    def fps(self) -> float:
        return float(self.manifest["sampling"]["fps"])

    @property
    def dim(self) -> int:
        return int(self.manifest["encoder"]["dim"])

    @property
    def times(self) -> np.ndarray:
        return np.asarray(self.manifest["times"], dtype=np.float64)

    def _shard(self, shard: dict) -> dict[str, np.ndarray]:
        from safetensors.numpy import load_file

        return load_file(str(self.folder / shard["file"]))

    def features(self) -> np.ndarray:
        """All frames' embeddings ``(n, dim)`` float32."""
        parts = [self._shard(s)["features"] for s in self.manifest["shards"]]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)

    def window(self, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        """Frames with ``start <= t <= end``, reading only the shards that overlap."""
        times, feats = [np.zeros(0)], [np.zeros((0, self.dim), np.float32)]
        for s in self.manifest["shards"]:
            if s["t1"] >= start and s["t0"] <= end:
                data = self._shard(s)
                t, f = window_of(data["times"], data["features"], start, end)
                times.append(t)
                feats.append(f)
        return np.concatenate(times), np.concatenate(feats)


class FeatureStore:
    """Per-video frame features (and per-frame perception results, see :mod:`.analysis_cache`)."""

    def __init__(self, root: str | os.PathLike[str] | None = None, *, shard_frames: int = SHARD_FRAMES) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"cache {self.root} is a file, not a folder; give another --cache")
        self.shard_frames = shard_frames

    def video_dir(self, video_fingerprint: str) -> Path:
        return self.root / video_fingerprint.split(":")[-1][:32]

    def entry_dir(self, video_fingerprint: str, encoder_id: str, fps: float, max_side: int) -> Path:
        name = encoder_id.split(":")[0]
        digest = hashlib.sha256(encoder_id.encode()).hexdigest()[:10]
        return self.video_dir(video_fingerprint) / f"{slug(name)}-{digest}-{fps:g}fps-{max_side}px"

    # -- reading ---------------------------------------------------------------------
    def lookup(self, video: str | os.PathLike[str], encoder: FrameEncoder, *, fps: float, max_side: int) -> FeatureEntry | None:
        """The complete, intact entry for this video and encoder, or None."""
        fp = fingerprint(video)
        folder = self.entry_dir(fp, encoder.id, fps, max_side)
        manifest, _ = self._usable(folder, self._key(fp, encoder, fps, max_side))
        return FeatureEntry(folder, manifest) if manifest and manifest.get("complete") else None

    # -- writing ---------------------------------------------------------------------
    def extract(self, video: str | os.PathLike[str], encoder: FrameEncoder, *, fps: float = FEATURE_FPS,
                max_side: int = FEATURE_MAX_SIDE) -> FeatureEntry:
        """Embed the frames of ``video`` sampled at ``fps`` (resuming or reusing what is stored)."""
        if not (0 < fps <= 60):
            raise InputError(f"--fps must be between 0 and 60 frames per second (got {fps})")
        if not 16 <= max_side <= 4096:
            raise InputError(f"--max-side must be between 16 and 4096 (got {max_side})")
        info = probe(video, check_end=False)
        fp = fingerprint(video)
        key = self._key(fp, encoder, fps, max_side)
        folder = self.entry_dir(fp, encoder.id, fps, max_side)
        manifest, reason = self._usable(folder, key)
        if manifest and manifest.get("complete"):
            return FeatureEntry(folder, manifest)
        if manifest is None:
            if reason:
                log.info(f"feature cache: {reason}; extracting again")
            shutil.rmtree(folder, ignore_errors=True)
            manifest = {**key, "video": {**key["video"], "path": str(Path(video).resolve()),
                                         "duration": round(info.duration, 3)},
                        "dtype": "float32", "shard_frames": self.shard_frames, "shards": [], "complete": False,
                        "cinescribe": __version__}
        elif manifest["shards"]:
            log.info(f"feature cache: resuming {Path(video).name} after {manifest['shards'][-1]['t1']:.1f} s")
        folder.mkdir(parents=True, exist_ok=True)
        self._clean_strays(folder, manifest)
        bind = getattr(encoder, "bind_video", None)
        if bind is not None:  # an encoder that caches per-frame results of its own (perception)
            bind(self, fp, max_side)
        self._run(video, encoder, folder, manifest, info.duration)
        return FeatureEntry(folder, manifest)

    def _run(self, video, encoder: FrameEncoder, folder: Path, manifest: dict, duration: float) -> None:
        fps, max_side = manifest["sampling"]["fps"], manifest["sampling"]["max_side"]
        start_index = manifest["shards"][-1]["last_index"] + 1 if manifest["shards"] else 0
        start = start_index / fps
        batch: list = []  # Frame objects: encoders read .image (and may key caches by .t)
        shard: dict[str, list] = {"features": [], "times": [], "indices": []}

        def encode_buffer() -> None:
            if batch:
                shard["features"].append(encoder.encode_images(batch))
                batch.clear()

        with progress_bar(f"Features ({encoder.id.split(':')[0]})", total=round(duration, 1)) as bar:
            with sample_frames(video, fps, max_side=max_side, start=start) as frames:
                for frame in frames:
                    if frame.index < start_index:
                        continue
                    batch.append(frame)
                    shard["times"].append(frame.t)
                    shard["indices"].append(frame.index)
                    if len(batch) >= encoder.batch_size:
                        encode_buffer()
                    if len(shard["times"]) >= self.shard_frames:
                        encode_buffer()
                        self._write_shard(folder, manifest, shard)
                    bar.update(round(frame.t, 1))
            encode_buffer()
            if shard["times"]:
                self._write_shard(folder, manifest, shard)
        if not manifest["shards"]:
            shutil.rmtree(folder, ignore_errors=True)
            raise InputError(f"{video}: no frames could be decoded; the video is damaged")
        times = []
        for s in manifest["shards"]:
            times.extend(FeatureEntry(folder, manifest)._shard(s)["times"].tolist())
        manifest.update(complete=True, times=[round(t, 6) for t in times], shape=[len(times), encoder.dim])
        write_json(folder / MANIFEST, manifest)

    def _write_shard(self, folder: Path, manifest: dict, shard: dict[str, list]) -> None:
        from safetensors.numpy import save_file

        feats = np.ascontiguousarray(np.concatenate(shard["features"]), dtype=np.float32)
        times = np.asarray(shard["times"], dtype=np.float64)
        indices = np.asarray(shard["indices"], dtype=np.int64)
        if feats.shape != (len(times), manifest["encoder"]["dim"]):
            raise RuntimeError(f"encoder {manifest['encoder']['id']} returned {feats.shape}, "
                               f"expected ({len(times)}, {manifest['encoder']['dim']})")
        name = f"shard-{len(manifest['shards']):05d}.safetensors"
        with atomic_path(folder / name) as tmp:
            save_file({"features": feats, "times": times, "indices": indices}, str(tmp))
        manifest["shards"].append({
            "file": name, "frames": len(times), "first_index": int(indices[0]), "last_index": int(indices[-1]),
            "t0": float(times[0]), "t1": float(times[-1]), "sha256": _sha256(folder / name),
        })
        manifest["shape"] = [sum(s["frames"] for s in manifest["shards"]), manifest["encoder"]["dim"]]
        write_json(folder / MANIFEST, manifest)
        for v in shard.values():
            v.clear()

    # -- validation ------------------------------------------------------------------
    @staticmethod
    def _key(fp: str, encoder: FrameEncoder, fps: float, max_side: int) -> dict:
        return {"format": FORMAT, "kind": "frame-features", "video": {"fingerprint": fp},
                "encoder": {"id": encoder.id, "weights_hash": encoder.weights_hash, "dim": int(encoder.dim)},
                "sampling": {"fps": float(fps), "max_side": int(max_side)}}

    def _usable(self, folder: Path, key: dict) -> tuple[dict | None, str | None]:
        """The entry's manifest cut back to its intact shards, or ``(None, why not)``."""
        path = folder / MANIFEST
        if not path.is_file():
            return None, None
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            shards = manifest["shards"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            log.warning(f"feature cache entry {folder} is corrupt (unreadable manifest); rebuilding it")
            return None, None
        for part in ("format", "kind", "encoder", "sampling"):
            if manifest.get(part) != key[part]:
                return None, f"{part} changed since {folder.name} was written"
        if manifest.get("video", {}).get("fingerprint") != key["video"]["fingerprint"]:
            return None, "the video changed"
        for i, s in enumerate(shards):
            problem = self._shard_problem(folder, s, key["encoder"]["dim"])
            if problem:
                log.warning(f"feature cache entry {folder} is corrupt ({s.get('file')}: {problem}); "
                            f"rebuilding it from frame {s.get('first_index', 0)}")
                manifest["shards"] = shards[:i]
                manifest["complete"] = False
                manifest.pop("times", None)
                write_json(path, manifest)
                break
        return manifest, None

    @staticmethod
    def _shard_problem(folder: Path, shard: dict, dim: int) -> str | None:
        f = folder / str(shard.get("file", ""))
        if not f.is_file():
            return "missing"
        if _sha256(f) != shard.get("sha256"):
            return "checksum mismatch"
        from safetensors import safe_open

        try:
            with safe_open(str(f), framework="numpy") as st:
                shape = st.get_slice("features").get_shape()
        except Exception:  # safetensors raises its own error types for damaged headers
            return "unreadable"
        if list(shape) != [shard.get("frames"), dim]:
            return f"shape {list(shape)}"
        return None

    @staticmethod
    def _clean_strays(folder: Path, manifest: dict) -> None:
        listed = {s["file"] for s in manifest["shards"]} | {MANIFEST}
        for f in folder.iterdir():
            if f.is_file() and f.name not in listed:
                f.unlink()

    def entries(self) -> Iterator[FeatureEntry]:
        """Every complete entry in the store."""
        for path in sorted(self.root.glob(f"*/*/{MANIFEST}")):
            try:
                manifest = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if manifest.get("complete"):
                yield FeatureEntry(path.parent, manifest)


def frames_at(source: FeatureSource, times: Sequence[float]) -> np.ndarray:
    """For each time, the embedding of the nearest stored frame: ``(len(times), dim)``."""
    t = source.times
    if not len(t):
        raise InputError("this feature entry holds no frames")
    idx = np.clip(np.searchsorted(t, times), 1, len(t) - 1)
    idx = np.where(np.abs(t[idx - 1] - np.asarray(times)) <= np.abs(t[idx] - np.asarray(times)), idx - 1, idx)
    return source.features()[idx]
