"""Distinctiveness measures: known values, and a model that repeats its neighbours scores worse on real ADs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cinescribe.evaluate import ptb
from cinescribe.evaluate.distinct import distinctiveness

ANN = Path(__file__).resolve().parents[2] / "shared" / "data" / "ad-annotations"


def test_known_values():
    overall, per_film = distinctiveness({"f": ["a man walks", "a man walks", "the dog runs home"], "g": ["rain"]})
    f = per_film["f"]
    assert f["distinct-1"] == pytest.approx(7 / 10)   # a man walks the dog runs home / 10 tokens
    assert f["distinct-2"] == pytest.approx(5 / 7)    # a-man man-walks the-dog dog-runs runs-home / 7 bigrams
    # content words: pair 1 "man walks" both repeated (1.0); pair 2 "dog runs home" none repeated (0.0)
    assert f["repeated content words"] == pytest.approx(0.5)
    assert per_film["g"]["neighbour BLEU-2"] is None and per_film["g"]["distinct-1"] == 1.0
    assert overall["repeated content words"] == pytest.approx(0.5)           # g has no pairs
    assert overall["distinct-1"] == pytest.approx((0.7 + 1.0) / 2)          # mean over films
    assert f["neighbour BLEU-2"] > 0.4                                      # half of its pairs are identical


@pytest.mark.skipif(not (ANN / "tvad_eval.csv").is_file(), reason="shared/data/ad-annotations not found")
def test_repeating_neighbours_scores_worse_on_real_ads():
    from cinescribe.data.annotations import read_annotations

    films = read_annotations(ANN / "tvad_eval.csv").by_film()
    texts = [a.text for ads in films.values() for a in ads]
    tok = iter(ptb.tokenize(texts))
    gt = {f: [next(tok) for _ in ads] for f, ads in films.items()}
    # the failure DistinctAD names: every other AD says again what the previous one said
    repeater = {f: [t[i - 1] if i % 2 else t[i] for i in range(len(t))] for f, t in gt.items()}
    g, _ = distinctiveness(gt)
    r, _ = distinctiveness(repeater)
    assert r["neighbour BLEU-2"] > g["neighbour BLEU-2"] + 0.2
    assert r["neighbour CIDEr-D"] > 2 * g["neighbour CIDEr-D"]
    assert r["repeated content words"] > g["repeated content words"] + 0.3
    assert r["distinct-1"] < g["distinct-1"] and r["distinct-2"] < g["distinct-2"] - 0.2
    assert 0.0 < g["repeated content words"] < 0.3 and g["distinct-2"] > 0.8  # real AD rarely repeats itself
