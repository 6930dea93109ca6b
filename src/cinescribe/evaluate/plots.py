"""The evaluation figure: per-film bars, per-AD score distributions, distinctiveness vs ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..atomic import atomic_path

if TYPE_CHECKING:
    from .report import Evaluation

FILM_METRICS = ("METEOR", "ROUGE-L", "CIDEr-D", "R@5/16")
DIST_METRICS = ("BLEU-4", "METEOR", "ROUGE-L")
DISTINCT = ("neighbour BLEU-2", "neighbour CIDEr-D", "repeated content words", "distinct-1", "distinct-2")
MAX_FILMS = 30


def _films_shown(result: "Evaluation", key: str) -> tuple[list[str], str]:
    films = [f for f in result.per_film if result.per_film[f].get(key) is not None] or list(result.per_film)
    films.sort(key=lambda f: result.per_film[f].get(key) or 0.0)
    if len(films) <= MAX_FILMS:
        return films, f"all {len(films)} films, sorted by {key}"
    half = MAX_FILMS // 2
    return films[:half] + films[-half:], f"the {half} lowest and {half} highest of {len(films)} films by {key}"


def plot_evaluation(result: "Evaluation", path: Path) -> Path:
    """Write the PNG figure for ``result`` to ``path`` (atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(15, 9.5), dpi=110, layout="constrained")
    grid = fig.add_gridspec(2, 3, height_ratios=[1.15, 1])
    ax_films = fig.add_subplot(grid[0, :])
    metrics = [m for m in FILM_METRICS if any(v.get(m) is not None for v in result.per_film.values())]
    sort_key = "CIDEr-D" if "CIDEr-D" in metrics else (metrics[0] if metrics else "ADs")
    films, caption = _films_shown(result, sort_key)
    x = np.arange(len(films))
    width = 0.8 / max(len(metrics), 1)
    for i, m in enumerate(metrics):
        values = [result.per_film[f].get(m) for f in films]
        ax_films.bar(x + (i - (len(metrics) - 1) / 2) * width, [np.nan if v is None else v for v in values],
                     width, label=f"{m} (overall {result.overall[m]:.1f})" if result.overall.get(m) is not None else m)
    if len(films) < len(result.per_film):
        ax_films.axvline(len(films) / 2 - 0.5, color="grey", linestyle=":", linewidth=1.5)
    ax_films.set_xticks(x, films, rotation=60, ha="right", fontsize=8)
    ax_films.set_ylabel("score (x100)")
    ax_films.set_title(f"Per film: {caption}", fontsize=11)
    if metrics:
        ax_films.legend(fontsize=9, ncols=len(metrics), loc="upper left")
    ax_films.grid(axis="y", alpha=0.3)

    ax_dist = fig.add_subplot(grid[1, 0])
    bins = np.linspace(0, 100, 26)
    for m in DIST_METRICS:
        if m in result.per_ad:
            ax_dist.hist(result.per_ad[m], bins=bins, alpha=0.55, label=m)
    ax_dist.set_title("Per-AD scores", fontsize=11)
    ax_dist.set_xlabel("score (x100)")
    ax_dist.set_ylabel("ADs (log scale)")
    ax_dist.set_yscale("log")
    if any(m in result.per_ad for m in DIST_METRICS):
        ax_dist.legend(fontsize=9)

    ax_cider = fig.add_subplot(grid[1, 1])
    if "CIDEr-D" in result.per_ad:
        values = np.asarray(result.per_ad["CIDEr-D"])
        top = max(float(np.percentile(values, 99)), 1.0)
        ax_cider.hist(np.clip(values, 0, top), bins=30, color="tab:green", alpha=0.8)
        ax_cider.axvline(float(values.mean()), color="black", linestyle="--", label=f"mean {values.mean():.1f}")
        ax_cider.legend(fontsize=9)
        ax_cider.set_yscale("log")
    ax_cider.set_title("Per-AD CIDEr-D (clipped at the 99th percentile)", fontsize=11)
    ax_cider.set_xlabel("CIDEr-D (x100)")

    ax_rep = fig.add_subplot(grid[1, 2])
    measures = [m for m in DISTINCT if result.overall.get(m) is not None]
    y = np.arange(len(measures))
    ax_rep.barh(y + 0.2, [result.overall[m] for m in measures], 0.4, label="predictions")
    ax_rep.barh(y - 0.2, [result.distinct_gt.get(m) or 0.0 for m in measures], 0.4, label="ground truth")
    ax_rep.set_yticks(y, [m + (" (higher: better)" if m.startswith("distinct") else " (lower: better)")
                          for m in measures], fontsize=8)
    ax_rep.set_title("Repetition between neighbouring ADs", fontsize=11)
    ax_rep.set_xlabel("x100")
    if measures:
        ax_rep.legend(fontsize=9)
    s = result.summary
    fig.suptitle(f"{Path(s['predictions']).name} vs {Path(s['ground_truth']).name}: {s['ads']} ADs in {s['films']} "
                 f"films" + (f" | R@k/N backbone: {s['recall_backbone']}" if "recall_backbone" in s else ""),
                 fontsize=12)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
