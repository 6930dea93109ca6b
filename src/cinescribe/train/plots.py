"""The loss curve of a run, drawn from its ``log.jsonl`` (matplotlib, Agg backend)."""

from __future__ import annotations

import json
from pathlib import Path

from ..atomic import atomic_path


def read_log(path: str | Path) -> list[dict]:
    """The records of a ``log.jsonl`` (empty when the file does not exist yet)."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def plot_losses(log_path: str | Path, png_path: str | Path) -> Path | None:
    """Training losses (every ``loss*`` key) and validation losses against the step; None if
    the log has no training record yet."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_log(log_path)
    train = [r for r in records if r.get("split") is None and "loss" in r]
    if not train:
        return None
    val = [r for r in records if r.get("split") == "validation" and "val_loss" in r]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for key in sorted({k for r in train for k in r if k.startswith("loss")}):
        points = [(r["step"], r[key]) for r in train if key in r]
        ax.plot(*zip(*points), label=key, linewidth=1.5 if key == "loss" else 1.0)
    if val:
        ax.plot([r["step"] for r in val], [r["val_loss"] for r in val], "o-", label="validation loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(png_path)
