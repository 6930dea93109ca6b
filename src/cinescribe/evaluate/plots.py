"""The evaluation figure (SVG): per-film bars, per-AD score distributions, distinctiveness vs ground truth."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..atomic import write_text
from .svgchart import PALETTE, Axis, Canvas, Panel

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


def _hist(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    return np.histogram(values, bins=bins)[0]


def _percentile(values: np.ndarray, q: float) -> float:
    """``np.percentile(values, q)`` (linear interpolation, numpy's arithmetic) without the import of
    ``numpy.ma`` that ``np.percentile`` makes on its first call."""
    ordered = np.sort(values)
    pos = q / 100 * (len(ordered) - 1)
    lo = math.floor(pos)
    a, b, t = float(ordered[lo]), float(ordered[min(lo + 1, len(ordered) - 1)]), pos - lo
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def plot_evaluation(result: "Evaluation", path: Path) -> Path:
    """Write the SVG figure for ``result`` to ``path`` (atomically): per-film bars, per-AD score histograms,
    the per-AD CIDEr-D histogram and repetition against the ground truth; 1500 x 950 px."""
    canvas = Canvas(1500, 950)
    s = result.summary
    heading = (f"{Path(s['predictions']).name} vs {Path(s['ground_truth']).name}: {s['ads']} ADs in {s['films']} films"
               + (f" | R@k/N backbone: {s['recall_backbone']}" if "recall_backbone" in s else ""))
    canvas.text(750, 24, heading, 15, "middle", weight="bold")

    metrics = [m for m in FILM_METRICS if any(v.get(m) is not None for v in result.per_film.values())]
    sort_key = "CIDEr-D" if "CIDEr-D" in metrics else (metrics[0] if metrics else "ADs")
    films, caption = _films_shown(result, sort_key)
    top_value = max([v for f in films for m in metrics if (v := result.per_film[f].get(m)) is not None] or [1.0])
    films_panel = Panel(canvas, Axis(-0.5, len(films) - 0.5, 80, 1470),
                        Axis(0.0, 1.15 * max(top_value, 1e-9), 420, 70), f"Per film: {caption}", ylabel="score (x100)")
    films_panel.frame(xticks=False, grid="y")
    width = 0.8 / max(len(metrics), 1)
    for i, m in enumerate(metrics):
        for k, film in enumerate(films):
            value = result.per_film[film].get(m)
            if value is not None:
                x0 = k + (i - len(metrics) / 2) * width
                films_panel.vbar(x0, x0 + width, value, PALETTE[i], label=f"{film}: {m} {value:.2f}")
    for k, film in enumerate(films):
        px = films_panel.x(k)
        canvas.line(px, 420, px, 424)
        canvas.text(px + 3, 430, film, 9, "end", rotate=-60, baseline="hanging")
    if len(films) < len(result.per_film):
        px = films_panel.x(len(films) / 2 - 0.5)
        canvas.line(px, 70, px, 420, "grey", 1.5, dash="3 3")
    films_panel.legend([(f"{m} (overall {result.overall[m]:.1f})" if result.overall.get(m) is not None else m,
                         PALETTE[i]) for i, m in enumerate(metrics)], columns=max(len(metrics), 1))

    bins = np.linspace(0, 100, 26)
    shown = [m for m in DIST_METRICS if m in result.per_ad]
    counts = {m: _hist(np.asarray(result.per_ad[m], dtype=float), bins) for m in shown}
    peak = max([int(c.max()) for c in counts.values()] or [1])
    dist = Panel(canvas, Axis(0, 100, 80, 520), Axis(0.8, 10 ** math.ceil(math.log10(max(peak, 1) * 1.5)), 880, 580, log=True),
                 "Per-AD scores", "score (x100)", "ADs (log scale)")
    dist.frame(grid="y")
    for i, m in enumerate(shown):
        for lo, hi, n in zip(bins[:-1], bins[1:], counts[m]):
            if n:
                dist.vbar(lo, hi, n, PALETTE[i], 0.55, f"{m} {lo:g}-{hi:g}: {n} ADs")
    dist.legend([(m, PALETTE[i]) for i, m in enumerate(shown)], opacity=0.55)

    if "CIDEr-D" in result.per_ad:
        values = np.asarray(result.per_ad["CIDEr-D"], dtype=float)
        upper = max(_percentile(values, 99), 1.0)
        cbins = np.linspace(0, upper, 31)
        ccounts = _hist(np.clip(values, 0, upper), cbins)
        cider = Panel(canvas, Axis(0, upper, 600, 1000),
                      Axis(0.8, 10 ** math.ceil(math.log10(max(int(ccounts.max()), 1) * 1.5)), 880, 580, log=True),
                      "Per-AD CIDEr-D (clipped at the 99th percentile)", "CIDEr-D (x100)")
        cider.frame(grid="y")
        for lo, hi, n in zip(cbins[:-1], cbins[1:], ccounts):
            if n:
                cider.vbar(lo, hi, n, PALETTE[2], 0.8, f"CIDEr-D {lo:.1f}-{hi:.1f}: {n} ADs")
        mean = float(values.mean())
        canvas.line(cider.x(mean), 580, cider.x(mean), 880, "#000", 1.5, dash="6 4")
        cider.legend([(f"mean {mean:.1f}", "#000")])
    else:
        Panel(canvas, Axis(0, 1, 600, 1000), Axis(0, 1, 880, 580), "Per-AD CIDEr-D (not computed)").frame(False, False)

    measures = [m for m in DISTINCT if result.overall.get(m) is not None]
    longest = max([result.overall[m] for m in measures] + [result.distinct_gt.get(m) or 0.0 for m in measures] + [1.0])
    rep = Panel(canvas, Axis(0, 1.1 * longest, 1230, 1470), Axis(-0.5, max(len(measures), 1) - 0.5, 880, 580),
                "Repetition between neighbouring ADs" + ("" if measures else " (not computed)"), "x100")
    rep.frame(yticks=False)
    for k, m in enumerate(measures):
        gt_value = result.distinct_gt.get(m) or 0.0
        rep.hbar(k, k + 0.4, result.overall[m], PALETTE[0], f"{m}, predictions: {result.overall[m]:.2f}")
        rep.hbar(k - 0.4, k, gt_value, PALETTE[1], f"{m}, ground truth: {gt_value:.2f}")
        canvas.text(1222, rep.y(k), m + (" (higher: better)" if m.startswith("distinct") else " (lower: better)"),
                    10, "end", baseline="middle")
    if measures:
        rep.legend([("predictions", PALETTE[0]), ("ground truth", PALETTE[1])], corner="lower right", width=85)

    summary = "; ".join(f"{m} {result.overall[m]:.2f}" for m in result.overall if result.overall.get(m) is not None)
    write_text(path, canvas.svg(heading, f"Overall scores (x100): {summary}."))
    return path
