"""Metrics of video-level judgements (``cinescribe classify evaluate``) and their figure.

* multi-class: accuracy, macro-F1 (unweighted mean of per-class F1) and ROC-AUC (binary: of
  the second class's probability; more classes: one-vs-rest, macro mean), confusion matrix;
* multi-label (threshold 0.5): accuracy over all (video, label) decisions, macro-F1 and
  macro ROC-AUC over labels, one 2x2 confusion matrix per label;
* regression: CCC (Lin's concordance correlation) and RMSE per output and their mean.

ROC-AUC is the Mann-Whitney statistic with tied scores counted half; a class with only
positives or only negatives has no AUC and is left out of the mean.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path, read_json
from ..data.labels import Labels, read_labels, video_key
from ..errors import InputError

SCHEMA = "cinescribe.classify-predictions/1"


def roc_auc(y: np.ndarray, score: np.ndarray) -> float | None:
    """Area under the ROC curve of binary ``y`` (n,) against ``score`` (n,); None if one class."""
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(score, kind="mergesort")
    s = np.asarray(score, np.float64)[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(s))
    r[order] = ranks
    return float((r[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def f1_scores(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Per-class F1 of class indices ``y`` and ``pred`` (n,); a class never seen nor predicted gets 0."""
    out = np.zeros(k)
    for c in range(k):
        tp = np.sum((pred == c) & (y == c))
        fp, fn = np.sum((pred == c) & (y != c)), np.sum((pred != c) & (y == c))
        out[c] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return out


def confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """``(k, k)`` counts, rows = true class, columns = predicted class."""
    m = np.zeros((k, k), np.int64)
    np.add.at(m, (y, pred), 1)
    return m


def ccc(y: np.ndarray, pred: np.ndarray) -> float:
    """Lin's concordance correlation 2 cov / (var_y + var_p + (mean_y - mean_p)^2) (population moments)."""
    my, mp = y.mean(), pred.mean()
    cov = np.mean((y - my) * (pred - mp))
    denom = y.var() + pred.var() + (my - mp) ** 2
    return float(2 * cov / denom) if denom > 0 else float("nan")


def classification_metrics(task: str, names: list[str], targets: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """Metrics of ``scores`` (n, K) against ``targets`` (Labels layout); see the module docstring."""
    k = len(names)
    if task == "regression":
        per = {n: {"CCC": ccc(targets[:, i], scores[:, i]),
                   "RMSE": float(np.sqrt(np.mean((targets[:, i] - scores[:, i]) ** 2)))} for i, n in enumerate(names)}
        return {"task": task, "n": len(targets), "CCC": float(np.mean([p["CCC"] for p in per.values()])),
                "RMSE": float(np.mean([p["RMSE"] for p in per.values()])), "per_output": per}
    if task == "multiclass":
        pred = scores.argmax(1)
        f1 = f1_scores(targets, pred, k)
        aucs = [roc_auc(targets == 1, scores[:, 1])] if k == 2 else [roc_auc(targets == c, scores[:, c]) for c in range(k)]
        matrices = confusion(targets, pred, k)
        accuracy = float(np.mean(pred == targets))
    else:
        pred = scores >= 0.5
        truth = targets.astype(bool)
        f1 = np.array([f1_scores(truth[:, c].astype(int), pred[:, c].astype(int), 2)[1] for c in range(k)])
        aucs = [roc_auc(truth[:, c], scores[:, c]) for c in range(k)]
        matrices = np.stack([confusion(truth[:, c].astype(int), pred[:, c].astype(int), 2) for c in range(k)])
        accuracy = float(np.mean(pred == truth))
    valid = [a for a in aucs if a is not None]
    return {"task": task, "n": len(targets), "accuracy": accuracy, "macro_F1": float(f1.mean()),
            "ROC_AUC": float(np.mean(valid)) if valid else None,
            "per_class": {n: {"F1": float(f1[i])} for i, n in enumerate(names)},
            "confusion": matrices.tolist()}


def read_predictions(path: str | Path) -> dict[str, Any]:
    """A ``classify predict`` JSON: ``{schema, task, names, videos: [{video, scores {name: v}}]}``."""
    doc = read_json(path, "predictions file; write one with cinescribe classify predict")
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("videos"), list):
        raise InputError(f"{path} is not a cinescribe classify predictions file (schema {SCHEMA})")
    return doc


def evaluate_predictions(pred_path: str | Path, labels_path: str | Path) -> dict[str, Any]:
    """Metrics of the predictions file against the labels CSV, over the videos both name."""
    doc = read_predictions(pred_path)
    names, task = list(doc["names"]), doc["task"]
    labels: Labels = read_labels(labels_path, task=task, names=names if task != "regression" else None)
    if task == "regression" and labels.names != names:
        raise InputError(f"{labels_path}: value columns {labels.names} differ from the model's {names}")
    by_id = {video_key(v["video"]): v for v in doc["videos"] if v.get("scores")}
    common = [i for i in labels.ids if i in by_id]
    if not common:
        raise InputError(f"no video of {pred_path} is in {labels_path}; the ids are the video file stems")
    scores = np.array([[float(by_id[i]["scores"][n]) for n in names] for i in common], np.float64)
    result = classification_metrics(task, names, labels.subset(common).targets, scores)
    result.update(names=names, missing=sorted(set(labels.ids) - set(by_id)),
                  predictions=str(pred_path), labels=str(labels_path))
    result["_scores"], result["_targets"] = scores, labels.subset(common).targets
    return result


def plot_classification(result: dict[str, Any], path: str | Path) -> Path:
    """Confusion matrix (classes) or predicted-vs-true scatter (regression) as a PNG, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, task = result["names"], result["task"]
    panels = len(names) if task != "multiclass" else 1
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels + 0.6, 4.2), dpi=110, squeeze=False,
                             layout="constrained")
    if task == "regression":
        y, p = result["_targets"], result["_scores"]
        for i, (ax, n) in enumerate(zip(axes[0], names)):
            ax.scatter(y[:, i], p[:, i], s=14, alpha=0.7)
            lo, hi = float(min(y[:, i].min(), p[:, i].min())), float(max(y[:, i].max(), p[:, i].max()))
            ax.plot([lo, hi], [lo, hi], color="grey", linestyle=":")
            per = result["per_output"][n]
            ax.set(xlabel=f"true {n}", ylabel=f"predicted {n}", title=f"{n}: CCC {per['CCC']:.3f}, RMSE {per['RMSE']:.3f}")
    else:
        matrices = [np.array(result["confusion"])] if task == "multiclass" else [np.array(m) for m in result["confusion"]]
        ticks = [names] if task == "multiclass" else [["no", "yes"]] * len(names)
        titles = ([f"accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_F1']:.3f}"] if task == "multiclass"
                  else [f"{n}: F1 {result['per_class'][n]['F1']:.3f}" for n in names])
        for ax, m, t, title in zip(axes[0], matrices, ticks, titles):
            ax.imshow(m, cmap="Blues")
            for (r, c), v in np.ndenumerate(m):
                ax.text(c, r, str(v), ha="center", va="center", color="white" if v > m.max() / 2 else "black")
            ax.set_xticks(range(len(t)), t, rotation=30, ha="right")
            ax.set_yticks(range(len(t)), t)
            ax.set(xlabel="predicted", ylabel="true", title=title)
    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return out


def public(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` without the arrays kept for plotting (what goes into the JSON report); an undefined
    score (NaN, e.g. the CCC of constant predictions) becomes null, as strict JSON has no NaN."""
    def finite(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: finite(x) for k, x in v.items()}
        return [finite(x) for x in v] if isinstance(v, list) else v

    return {k: finite(v) for k, v in result.items() if not k.startswith("_")}
