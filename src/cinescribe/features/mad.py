"""Frame features that come without videos: MAD's released CLIP arrays, through the store's API.

MAD (Soldelli et al.) ships no videos, only per-movie CLIP frame embeddings at 5 fps:
``CLIP_frames_features_5fps.h5`` (or ``CLIP_B32_frames_features_5fps.h5``), one
dataset ``(frames, dim)`` per movie id.  The same arrays saved as ``<movie>.npy``
files (one file, or a folder of them) read the same way.  Row ``i`` is the frame at
``i / fps`` seconds.  :class:`ArrayFeatures` has the :class:`~.store.FeatureSource`
API: ``times``, ``features()``, ``window(start, end)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .store import window_of

MAD_FPS = 5.0
H5_SUFFIXES = (".h5", ".hdf5")


@dataclass
class ArrayFeatures:
    """Embeddings ``(n, dim)`` of frames sampled at ``fps`` from time 0."""

    encoder_id: str
    fps: float
    array: np.ndarray  # (n, dim)

    @property
    def dim(self) -> int:
        return int(self.array.shape[1])

    @property
    def times(self) -> np.ndarray:
        return np.arange(len(self.array), dtype=np.float64) / self.fps

    def features(self) -> np.ndarray:
        return np.asarray(self.array, dtype=np.float32)

    def window(self, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        t, f = window_of(self.times, self.array, start, end)
        return t, np.asarray(f, dtype=np.float32)


def _check(array, where: str) -> np.ndarray:
    if array.ndim != 2 or array.shape[0] == 0:
        raise InputError(f"{where}: expected a (frames, dim) array of frame features, found shape {array.shape}")
    return array


def list_movies(path: str | os.PathLike[str]) -> list[str]:
    """The movie ids available in a MAD ``.h5`` file, a ``.npy`` file or a folder of ``.npy`` files."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such features file or folder")
    if p.is_dir():
        return sorted(f.stem for f in p.glob("*.npy"))
    if p.suffix in H5_SUFFIXES:
        import h5py

        with _open_h5(p) as h5:
            return sorted(h5.keys())
    if p.suffix == ".npy":
        return [p.stem]
    raise InputError(f"{p}: not a MAD features file; give a .h5 file, a .npy file or a folder of .npy files")


def _open_h5(p: Path):
    import h5py

    try:
        return h5py.File(p, "r")
    except OSError:
        raise InputError(f"{p}: not a readable HDF5 file; re-download it") from None


def open_mad(path: str | os.PathLike[str], movie: str | None = None, *, fps: float = MAD_FPS,
             encoder_id: str = "mad:clip") -> ArrayFeatures:
    """One movie's features.  ``movie`` may be omitted when the source holds a single movie."""
    p = Path(path)
    movies = list_movies(p)
    if movie is None:
        if len(movies) != 1:
            raise InputError(f"{p} holds {len(movies)} movies; name one (e.g. {movies[0] if movies else '?'})")
        movie = movies[0]
    if movie not in movies:
        raise InputError(f"{p} has no movie {movie!r}; it holds {len(movies)} movies, e.g. {', '.join(movies[:3])}")
    if p.suffix in H5_SUFFIXES:
        with _open_h5(p) as h5:
            array = np.asarray(h5[movie][()])
        return ArrayFeatures(encoder_id, fps, _check(array, f"{p}[{movie}]"))
    f = p / f"{movie}.npy" if p.is_dir() else p
    try:
        array = np.load(f, mmap_mode="r", allow_pickle=False)
    except ValueError:
        raise InputError(f"{f}: not a numeric .npy array") from None
    return ArrayFeatures(encoder_id, fps, _check(array, str(f)))
