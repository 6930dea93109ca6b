"""Video-level labels for the stream classifier: one CSV row per video.

The first column names the video (``video``, ``id`` or ``video_id``): a file name, its stem or
a path relative to the videos folder.  The other columns say what is to be predicted:

* ``label``  -> multi-class, one class name per video (``violent``, ``calm``, ...);
* ``labels`` -> multi-label, class names separated by ``;`` or ``|`` (may be empty);
* otherwise every other column is a number -> regression with one output per column
  (e.g. ``valence,arousal`` in [-1, 1]).

Class names are sorted, so the class index of a name does not depend on row order.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

ID_COLUMNS = ("video", "id", "video_id")
TASKS = ("multiclass", "multilabel", "regression")


@dataclass
class Labels:
    """``ids`` (n,), ``targets``: class indices (n,) int64, multi-hot (n, K) float32 or values (n, K)
    float32; ``names``: the K class names or value columns."""

    task: str
    ids: list[str]
    names: list[str]
    targets: np.ndarray

    @property
    def num_outputs(self) -> int:
        return len(self.names)

    def subset(self, ids: list[str]) -> "Labels":
        index = {v: i for i, v in enumerate(self.ids)}
        return Labels(self.task, list(ids), list(self.names), self.targets[[index[v] for v in ids]])


def video_key(name: str) -> str:
    """How a video is matched with a labels row: its file stem (``clips/a.mp4`` -> ``a``)."""
    return Path(name.strip()).stem


def read_labels(path: str | Path, task: str | None = None, names: list[str] | None = None) -> Labels:
    """Read a labels CSV (see the module docstring).  ``task`` overrides the guess from the
    header; ``names`` fixes the class list (e.g. a trained model's), rejecting other classes."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise InputError(f"{path}: no such labels file; give a CSV with a 'video' column") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a readable UTF-8 CSV ({exc})") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise InputError(f"{path}: needs a header and at least one row")
    header = [h.strip().lower() for h in rows[0]]
    if header[0] not in ID_COLUMNS or len(header) < 2:
        raise InputError(f"{path}: the first column must be one of {', '.join(ID_COLUMNS)} followed by "
                         f"'label', 'labels' or numeric columns; found {', '.join(header)}")
    guess = "multiclass" if header[1:] == ["label"] else "multilabel" if header[1:] == ["labels"] else "regression"
    task = task or guess
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    if task != "regression" and len(header) != 2:
        raise InputError(f"{path}: a {task} labels file has exactly two columns (video, label[s])")
    ids, cells = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(f"{path}:{line}: {len(row)} cells, the header has {len(header)}")
        vid = video_key(row[0])
        if not vid:
            raise InputError(f"{path}:{line}: empty video id")
        ids.append(vid)
        cells.append([c.strip() for c in row[1:]])
    dupes = sorted({v for v in ids if ids.count(v) > 1})
    if dupes:
        raise InputError(f"{path}: video(s) listed twice: {', '.join(dupes[:5])}")
    if task == "regression":
        return Labels(task, ids, header[1:], _values(path, cells))
    split = [[c[0]] if task == "multiclass" else [x.strip() for x in re.split(r"[;|]", c[0]) if x.strip()]
             for c in cells]
    if task == "multiclass" and any(not c[0] for c in split):
        raise InputError(f"{path}: every row needs a label (row {2 + [not c[0] for c in split].index(True)} has none)")
    found = sorted({x for c in split for x in c})
    if names is not None:
        unknown = sorted(set(found) - set(names))
        if unknown:
            raise InputError(f"{path}: class(es) {', '.join(unknown)} unknown to the model ({', '.join(names)})")
        found = list(names)
    if task == "multiclass" and len(found) < 2 and names is None:
        raise InputError(f"{path}: a multi-class labels file needs at least two classes, found {found}")
    index = {n: i for i, n in enumerate(found)}
    if task == "multiclass":
        targets = np.array([index[c[0]] for c in split], dtype=np.int64)
    else:
        targets = np.zeros((len(split), len(found)), np.float32)
        for i, c in enumerate(split):
            targets[i, [index[x] for x in c]] = 1.0
    return Labels(task, ids, found, targets)


def _values(path: Path, cells: list[list[str]]) -> np.ndarray:
    out = np.zeros((len(cells), len(cells[0])), np.float32)
    for i, row in enumerate(cells):
        for j, c in enumerate(row):
            try:
                v = float(c)
            except ValueError:
                raise InputError(f"{path}:{i + 2}: {c!r} is not a number; regression columns hold numbers "
                                 "(use a 'label' column for classes)") from None
            if not math.isfinite(v):
                raise InputError(f"{path}:{i + 2}: {c!r} is not a finite number")
            out[i, j] = v
    return out
