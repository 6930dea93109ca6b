"""BLEU, METEOR, ROUGE-L, CIDEr-D agree with pycocoevalcap (the reference) on real AD text and edge cases."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from cinescribe.errors import InputError, MissingDependencyError
from cinescribe.evaluate import captioning, ptb
from cinescribe.evaluate.meteor import get_meteor
from cinescribe.evaluate.metrics import METRICS, caption_metrics, parse_metrics
from cinescribe.evaluate.spice import spice, spice_unavailable_reason

pytest.importorskip("pycocoevalcap")
from pycocoevalcap.bleu.bleu import Bleu  # noqa: E402
from pycocoevalcap.cider.cider import Cider  # noqa: E402
from pycocoevalcap.meteor.meteor import Meteor as RefMeteor  # noqa: E402
from pycocoevalcap.rouge.rouge import Rouge  # noqa: E402
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer  # noqa: E402

ANN = Path(__file__).resolve().parents[2] / "shared" / "data" / "ad-annotations"
pytestmark = pytest.mark.skipif(not (ANN / "tvad_eval.csv").is_file(), reason="shared/data/ad-annotations not found")


def _perturb(rng: random.Random, text: str) -> str:
    words = text.split()
    if len(words) > 3:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        del words[rng.randrange(len(words))]
    return " ".join(words)


@pytest.fixture(scope="session")
def pairs():
    """3,000 (hypothesis, references) items from real TV-AD text: each AD against its neighbour, a
    perturbed copy, an unrelated AD, multi-reference items and empty/one-word hypotheses."""
    from cinescribe.data.annotations import read_annotations

    texts = [a.text for a in read_annotations(ANN / "tvad_eval.csv").ads]
    rng = random.Random(5)
    hyps, refs = [], []
    for i, t in enumerate(texts):
        kind = i % 4
        hyps.append([texts[i - 1], _perturb(rng, t), rng.choice(texts), t][kind])
        refs.append([t] if i % 5 else [t, texts[(i + 11) % len(texts)], rng.choice(texts)])
    hyps[7], hyps[8], hyps[9] = "", "Ross", "the the the the"
    return hyps, refs


@pytest.fixture(scope="session")
def reference(pairs):
    """pycocoevalcap's own tokenisation and scores of ``pairs`` (computed once)."""
    hyps, refs = pairs
    gts = PTBTokenizer().tokenize({i: [{"caption": c} for c in r] for i, r in enumerate(refs)})
    res = PTBTokenizer().tokenize({i: [{"caption": h}] for i, h in enumerate(hyps)})
    bleu, bleu_items = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, rouge_items = Rouge().compute_score(gts, res)
    cider, cider_items = Cider().compute_score(gts, res)
    return {"gts": gts, "res": res, "bleu": (bleu, np.array(bleu_items).T), "rouge": (rouge, rouge_items),
            "cider": (cider, cider_items)}


def test_tokenisation_is_the_reference(pairs, reference):
    hyps, refs = pairs
    assert ptb.tokenize(hyps) == [reference["res"][i][0] for i in range(len(hyps))]
    flat = ptb.tokenize([c for r in refs for c in r])
    assert flat == [c for i in range(len(refs)) for c in reference["gts"][i]]


def test_bleu_rouge_cider_equal_reference(pairs, reference):
    hyps = [reference["res"][i][0] for i in range(len(pairs[0]))]
    refs = [reference["gts"][i] for i in range(len(hyps))]
    corpus = captioning.Corpus.build(hyps, refs)
    stats = captioning.bleu_stats(corpus)
    assert np.allclose(stats.corpus(), reference["bleu"][0], rtol=0, atol=1e-9)
    assert np.allclose(stats.sentences(), reference["bleu"][1], rtol=0, atol=1e-6)
    rouge = captioning.rouge_l(corpus)
    assert np.allclose(rouge, reference["rouge"][1], rtol=0, atol=1e-6)
    assert abs(rouge.mean() - reference["rouge"][0]) < 1e-9
    cider = captioning.cider_d(corpus)
    assert np.allclose(cider, reference["cider"][1], rtol=0, atol=1e-6)
    assert abs(cider.mean() - reference["cider"][0]) < 1e-9
    assert reference["bleu"][0][3] > 0.01 and 0.05 < cider.mean() < 5  # a real, non-degenerate corpus


@pytest.mark.slow
def test_meteor_equals_reference_jar(pairs, reference):
    n = 500  # the reference METEOR does one round trip per item; 500 keeps the test fast
    gts = {i: reference["gts"][i] for i in range(n)}
    res = {i: reference["res"][i] for i in range(n)}
    ours = get_meteor()  # both JVMs load their paraphrase tables at the same time
    ref_score, ref_items = RefMeteor().compute_score(gts, res)
    stats = ours.stats([res[i][0] for i in range(n)], [gts[i] for i in range(n)])
    items, score = ours.evaluate(stats)
    assert score == ref_score and items == ref_items
    assert 0.05 < score < 0.6


@pytest.mark.slow
def test_caption_metrics_end_to_end_matches(pairs, reference):
    hyps, refs = pairs
    hyps, refs = hyps[:300], refs[:300]
    out = caption_metrics(hyps, refs, ("bleu", "rouge", "cider", "meteor"))
    gts = PTBTokenizer().tokenize({i: [{"caption": c} for c in r] for i, r in enumerate(refs)})
    res = PTBTokenizer().tokenize({i: [{"caption": h}] for i, h in enumerate(hyps)})
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    assert [out.overall[f"BLEU-{k}"] for k in range(1, 5)] == pytest.approx(bleu, abs=1e-9)
    assert out.overall["ROUGE-L"] == pytest.approx(Rouge().compute_score(gts, res)[0], abs=1e-9)
    assert out.overall["CIDEr-D"] == pytest.approx(Cider().compute_score(gts, res)[0], abs=1e-9)
    # a subset scores like the metric run on that subset alone (CIDEr-D keeps the full set's idf)
    sub = np.arange(40, 90)
    part = out.subset(sub)
    assert [part[f"BLEU-{k}"] for k in range(1, 5)] == pytest.approx(
        Bleu(4).compute_score({i: gts[i] for i in sub}, {i: res[i] for i in sub}, verbose=0)[0], abs=1e-9)
    assert part["METEOR"] == pytest.approx(get_meteor().evaluate(out.meteor_stats[40:90])[1], abs=0)
    assert part["CIDEr-D"] == pytest.approx(float(np.mean(out.per_item["CIDEr-D"][sub])))


EDGE = [
    ("", ["a man walks"]), ("a man walks", [""]), ("", [""]), ("walks", ["a man walks", "he walks"]),
    ("the the the the the", ["the cat sat on the mat"]), ("a man walks into the room", ["a man walks into the room"]),
    ("x y z", ["a b c", "x y", "z"]), ("the man opens the door and the man leaves", ["the man leaves", "a door opens"]),
]


@pytest.mark.parametrize("vocab_limit", [False, True])
def test_edge_cases_equal_reference(vocab_limit, monkeypatch):
    hyps, refs = [h for h, _ in EDGE] * 3, [r for _, r in EDGE] * 3
    if vocab_limit:  # force the re-numbering path used when n-gram codes would overflow
        monkeypatch.setattr(captioning, "_CODE_LIMIT", 64)
    corpus = captioning.Corpus.build(hyps, refs)
    gts, res = {i: r for i, r in enumerate(refs)}, {i: [h] for i, h in enumerate(hyps)}
    bleu, bleu_items = Bleu(4).compute_score(gts, res, verbose=0)
    stats = captioning.bleu_stats(corpus)
    assert stats.corpus() == pytest.approx(bleu, abs=1e-9)
    assert np.allclose(stats.sentences(), np.array(bleu_items).T, atol=1e-6)
    assert np.allclose(captioning.rouge_l(corpus), Rouge().compute_score(gts, res)[1], atol=1e-9)
    assert np.allclose(captioning.cider_d(corpus), Cider().compute_score(gts, res)[1], atol=1e-9)


def test_double_spaces_follow_reference_split():
    hyps, refs = ["a  man walks", "he runs"], [["a man walks"], ["he  runs fast"]]
    corpus = captioning.Corpus.build(hyps, refs)
    gts, res = {i: r for i, r in enumerate(refs)}, {i: [h] for i, h in enumerate(hyps)}
    assert np.allclose(captioning.rouge_l(corpus), Rouge().compute_score(gts, res)[1], atol=1e-12)
    assert np.allclose(captioning.cider_d(corpus), Cider().compute_score(gts, res)[1], atol=1e-12)


def test_known_value():
    corpus = captioning.Corpus.build(["a b c d"], [["a b c d"]])
    assert captioning.bleu_stats(corpus).corpus() == pytest.approx([1.0, 1.0, 1.0, 1.0])
    assert captioning.rouge_l(corpus)[0] == pytest.approx(1.0)
    # LCS("a c e", "a b c d e") = 3: P = 1, R = 0.6, F = 2.44 * 0.6 / (0.6 + 1.44)
    assert captioning.rouge_l(captioning.Corpus.build(["a c e"], [["a b c d e"]]))[0] == \
        pytest.approx(2.44 * 0.6 / (0.6 + 1.44))


@pytest.mark.may_skip  # SPICE's jars are not installed by make setup; where they are, this test has nothing to check
def test_spice_reports_unavailable_clearly():
    reason = spice_unavailable_reason()
    if reason is None:
        pytest.skip("SPICE's CoreNLP jars are installed here")
    assert "stanford-corenlp-3.6.0" in reason and "unavailable" in reason
    with pytest.raises(MissingDependencyError, match="SPICE is unavailable"):
        spice(["a man"], [["a man"]])


def test_parse_metrics():
    assert parse_metrics("BLEU, cider,bleu", METRICS) == ("bleu", "cider")
    with pytest.raises(InputError, match="unknown metric 'blue'; choose from"):
        parse_metrics("blue", METRICS)
