"""``cinescribe evaluate``: score a prediction file against ground-truth ADs, overall and per film.

Reads both files with :mod:`cinescribe.data.annotations`, pairs them (:mod:`cinescribe.data.predictions`),
computes the chosen metrics, and writes ``evaluation.json`` and ``evaluation.svg`` (the figure;
``--no-plot`` leaves it out), both atomically.  All scores are reported x100 (the AD papers' convention; CIDEr-D 0..1000).  R@k/N always names its
BERTScore backbone, because its values depend on it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..atomic import check_writable, write_text
from ..data.annotations import read_annotations
from ..data.predictions import align
from ..errors import InputError, MissingDependencyError
from ..progress import progress_bar
from . import ptb
from .metrics import METRICS as CAPTION_METRICS, caption_metrics
from .recall import DEFAULT_SPECS
from .spice import spice_unavailable_reason

log = logging.getLogger("cinescribe.evaluate")

ALL_METRICS = CAPTION_METRICS + ("recall", "distinct")
DEFAULT = ("bleu", "meteor", "rouge", "cider", "recall", "distinct")
SCHEMA = "cinescribe.evaluation/1"


@dataclass
class EvalConfig:
    """What to compute and how to read the inputs."""

    metrics: tuple[str, ...] = DEFAULT
    recall: tuple[tuple[int, int], ...] = DEFAULT_SPECS
    backbone: str | None = None
    layer: int | None = None
    match: str = "exact"
    gt_format: str = "auto"
    pred_format: str = "auto"
    charbank: Path | None = None
    tokenizer: str = "auto"  # PTB engine: auto (Python rules, the jar for the rest) or jar (the reference's way)


@dataclass
class Evaluation:
    """Everything ``evaluate`` found; ``to_dict`` is the JSON document."""

    summary: dict[str, Any]
    overall: dict[str, float | None]
    per_film: dict[str, dict[str, float | None]]
    per_ad: dict[str, list] = field(default_factory=dict)  # film, start, end and per-AD scores, in GT order
    distinct_gt: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, **self.summary, "scale": "x100", "overall": self.overall,
                "ground_truth_distinctiveness": self.distinct_gt, "per_film": self.per_film,
                "per_ad": self.per_ad, "notes": self.notes}


@contextlib.contextmanager
def _collector_paused():
    """Reading, scoring and writing make many small objects (one per AD, per token list, per value) and no
    reference cycles: the cyclic garbage collector's passes over them took about a sixth of the time of
    :func:`evaluate` on 7k ADs and found nothing, so it waits until the step is done (reference counting
    still frees everything)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _x100(d: dict[str, float | None]) -> dict[str, float | None]:
    return {k: (None if v is None else round(100.0 * v, 4)) for k, v in d.items()}


def evaluate(pred_path: Path, gt_path: Path, cfg: EvalConfig) -> Evaluation:
    """Read, pair and score; raises InputError / MissingDependencyError on bad input or missing tools."""
    if cfg.tokenizer not in ptb.ENGINES:
        raise InputError(f"unknown tokenizer {cfg.tokenizer!r}; choose from {', '.join(ptb.ENGINES)}")
    unknown = [m for m in cfg.metrics if m not in ALL_METRICS]
    if unknown:
        raise InputError(f"unknown metric {unknown[0]!r}; choose from {', '.join(ALL_METRICS)}")
    if "spice" in cfg.metrics:
        reason = spice_unavailable_reason()
        if reason:
            raise MissingDependencyError(reason)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with _collector_paused():
        gt = read_annotations(gt_path, cfg.gt_format, cfg.charbank)
        pred = read_annotations(pred_path, cfg.pred_format)
        pairs = align(gt, pred, cfg.match)
        films = pairs.films()
    timings["read"] = time.perf_counter() - t0
    scorer = None
    if "recall" in cfg.metrics:  # load the encoder first: a bad --backbone fails before any long step
        from .bertscore import BertScorer

        scorer = BertScorer(cfg.backbone, cfg.layer)
    refs = [[a.text] for a in pairs.gt]
    summary: dict[str, Any] = {
        "ground_truth": str(gt_path), "ground_truth_format": gt.format, "predictions": str(pred_path),
        "predictions_format": pred.format, "match": pairs.match, "ads": len(pairs.gt), "films": len(films),
        "unmatched_ground_truth": pairs.unmatched, "unused_predictions": pairs.unused_predictions,
        "duplicate_rows_dropped": {"ground_truth": gt.dropped_duplicates, "predictions": pred.dropped_duplicates},
        "metrics": list(cfg.metrics), "tokenizer": cfg.tokenizer, "software": {"cinescribe": __version__, "python": platform.python_version()},
        "timings_s": timings,
    }
    overall: dict[str, float | None] = {}
    per_film: dict[str, dict[str, float | None]] = {f: {"ADs": len(ix)} for f, ix in films.items()}
    per_ad: dict[str, list] = {"film": [a.film for a in pairs.gt], "start": [a.start for a in pairs.gt],
                               "end": [a.end for a in pairs.gt]}
    notes: list[str] = []
    result = Evaluation(summary, overall, per_film, per_ad, notes=notes)
    caption = tuple(m for m in cfg.metrics if m in CAPTION_METRICS)
    if caption:
        t0 = time.perf_counter()
        log.info(f"captioning metrics ({', '.join(caption)}) on {len(pairs.gt)} ADs")
        with _collector_paused():
            scores = caption_metrics(pairs.pred, refs, caption, tokenizer=cfg.tokenizer)
            overall.update(_x100(scores.overall))
            for film, ix in films.items():
                per_film[film].update(_x100(scores.subset(np.array(ix))))
            per_ad.update({k: [round(x, 4) for x in (100.0 * np.asarray(v, dtype=np.float64)).tolist()]
                           for k, v in scores.per_item.items()})
        timings["captioning"] = time.perf_counter() - t0
    if "recall" in cfg.metrics:
        t0 = time.perf_counter()
        _recall(pairs, films, cfg, scorer, result)
        timings["recall"] = time.perf_counter() - t0
    if "distinct" in cfg.metrics:
        from .distinct import distinctiveness

        t0 = time.perf_counter()
        tok_pred = ptb.tokenize(pairs.pred, engine=cfg.tokenizer)
        tok_gt = ptb.tokenize([a.text for a in pairs.gt], engine=cfg.tokenizer, persist=True)
        d_over, d_film = distinctiveness({f: [tok_pred[i] for i in ix] for f, ix in films.items()})
        overall.update(_x100(d_over))
        for film, values in d_film.items():
            per_film[film].update(_x100(values))
        result.distinct_gt = _x100(distinctiveness({f: [tok_gt[i] for i in ix] for f, ix in films.items()})[0])
        timings["distinct"] = time.perf_counter() - t0
    if pairs.unmatched:
        notes.append(f"{pairs.unmatched} ground-truth ADs had no overlapping prediction and were scored as empty")
    return result


def _recall(pairs, films: dict[str, list[int]], cfg: EvalConfig, scorer, result: Evaluation) -> None:
    from .recall import recall_within_neighbours

    log.info(f"Recall@k/N with BERTScore on {scorer.name}")
    data = {f: ([pairs.pred[i] for i in ix], [pairs.gt[i].text for i in ix]) for f, ix in films.items()}
    with progress_bar("R@k/N (BERTScore)", total=len(data)) as bar:
        rec = recall_within_neighbours(data, scorer, cfg.recall, progress=bar.advance)
    result.overall.update(_x100(rec.overall))
    for film, values in rec.per_film.items():
        result.per_film[film].update(_x100(values))
    result.summary["recall_backbone"] = rec.backbone
    result.summary["recall_films_skipped"] = rec.films_skipped
    for name, skipped in rec.films_skipped.items():
        if skipped:
            n = int(name.split("/")[1])
            result.notes.append(f"{name}: {len(skipped)} film(s) with fewer than {n} ADs are not counted "
                                f"({', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''})")
    result.notes.append(f"R@k/N uses BERTScore on {rec.backbone}; not comparable with published values "
                        "(roberta-large layer 17)")


def document_text(doc: dict[str, Any]) -> str:
    """``doc`` as indented JSON, but each per-AD list on one line: 7k ADs x 10 lists indented one value per
    line take longer to write than to score.  NaN or infinity raise ValueError, as in :func:`write_json`."""
    body = {k: v for k, v in doc.items() if k != "per_ad"}
    text = json.dumps(body, indent=2, ensure_ascii=False, allow_nan=False)
    if "per_ad" not in doc:
        return text + "\n"
    lists = ",\n".join(f"    {json.dumps(name, ensure_ascii=False)}: "
                       f"{json.dumps(values, ensure_ascii=False, allow_nan=False, separators=(', ', ': '))}"
                       for name, values in doc["per_ad"].items())
    return text[:-2] + ',\n  "per_ad": {' + ("\n" + lists + "\n  " if lists else "") + "}\n}\n"


def write_outputs(result: Evaluation, outdir: Path, plot: bool = True) -> dict[str, Path]:
    """Write ``evaluation.json`` and (with ``plot``) ``evaluation.svg`` into ``outdir`` (atomically)."""
    check_writable(outdir)
    paths = {"json": outdir / "evaluation.json"}
    with _collector_paused():
        if plot:
            from .plots import plot_evaluation

            paths["svg"] = plot_evaluation(result, outdir / "evaluation.svg")
        write_text(paths["json"], document_text(result.to_dict()))
    return paths


COLUMNS = ("ADs", "BLEU-1", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr-D", "SPICE", "R@1/5", "R@5/16",
           "neighbour CIDEr-D", "repeated content words", "distinct-2")
SHORT = {"neighbour CIDEr-D": "nbr CIDEr", "repeated content words": "rep. words", "distinct-2": "dist-2"}


def table_rows(result: Evaluation, max_films: int = 25) -> tuple[list[str], list[list[str]]]:
    """Header and rows (overall first, then films) for the terminal table."""
    keys = [c for c in COLUMNS if c == "ADs" or c in result.overall] + \
        [k for k in result.overall if k not in COLUMNS and k.startswith("R@")]
    fmt = lambda v: "-" if v is None else (f"{v:.0f}" if isinstance(v, int) else f"{v:.2f}")
    rows = [["overall", str(result.summary["ads"])] + [fmt(result.overall.get(k)) for k in keys[1:]]]
    if result.distinct_gt:
        rows.append(["(ground truth)", ""] + [fmt(result.distinct_gt[k]) if k in result.distinct_gt else ""
                                              for k in keys[1:]])
    for film in list(result.per_film)[:max_films]:
        values = result.per_film[film]
        rows.append([film] + [fmt(values.get(k)) for k in keys])
    return ["film"] + [SHORT.get(k, k) for k in keys], rows


def rich_table(result: Evaluation):
    """The terminal table (overall, ground-truth distinctiveness, then films)."""
    from rich.table import Table

    header, rows = table_rows(result)
    backbone = result.summary.get("recall_backbone")
    table = Table(title=f"{result.summary['ads']} ADs in {result.summary['films']} films (scores x100)",
                  caption=f"R@k/N backbone: {backbone}" if backbone else None)
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=True, min_width=len(h) if i else None)
    for i, row in enumerate(rows):
        table.add_row(*row, style="bold" if i == 0 else ("dim" if row[0] == "(ground truth)" else None),
                      end_section=i == (1 if result.distinct_gt else 0))
    return table
