"""Model weights shipped inside an installed package: found through the distribution's file list and
checked by sha256, each failure one :class:`~cinescribe.errors.MissingDependencyError` line that says
how to reinstall."""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

from .errors import MissingDependencyError


def distribution_file(package: str, name: str, needed_by: str, reinstall: str) -> Path:
    """The installed file called ``name`` of distribution ``package``; ``needed_by`` says what needs
    the package when it is not installed."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise MissingDependencyError(f"{needed_by} {package}: {reinstall}") from None
    for file in dist.files or ():
        if file.name == name:
            path = Path(dist.locate_file(file))
            if path.is_file():
                return path
    raise MissingDependencyError(f"{package}'s weights file {name} is missing; {reinstall}")


def verified_file(path: Path, sha256: str, package: str, reinstall: str) -> Path:
    """``path`` when it exists and its sha256 is ``sha256``; else a one-line MissingDependencyError."""
    if not path.is_file():
        raise MissingDependencyError(f"{package}'s weights file {path.name} is missing; {reinstall}")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise MissingDependencyError(f"{path} is corrupt (sha256 {digest.hexdigest()[:12]}..., expected "
                                     f"{sha256[:12]}...); {reinstall}")
    return path
