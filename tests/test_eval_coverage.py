"""Fact coverage, false claims and cut scores of the real-footage quality benchmark."""

from pathlib import Path

import yaml

from cinescribe.evaluate.coverage import ClipTruth, coverage, cut_score, tokens

TRUTH = Path(__file__).resolve().parents[1] / "benchmarks" / "quality_truth.yaml"

WALKERS = ClipTruth.from_dict("walkers", {
    "required": {"people": ["people", "pedestrians"], "walking": ["walk"], "where": ["path", "lawn"]},
    "true_words": ["building", "van", "wide", "shot"],
    "cuts": [3.0],
    "transitions": [[6.0, 7.0]],
})


def test_required_concepts_are_found_in_any_inflection():
    cov = coverage(["Two pedestrians are walking.", "They pass a van."], WALKERS)
    assert cov.said == ["people", "walking"]
    assert cov.missed == ["where"]


def test_false_claims_are_content_words_not_true_of_the_clip():
    cov = coverage(["In a wide shot, four people stand, with a ball in view."], WALKERS)
    assert cov.false_claims == ["stand (AD 1)", "ball (AD 1)"]
    assert coverage(["Four people walk along the path past the vans."], WALKERS).false_claims == []


def test_multiword_required_phrases_match_in_order():
    truth = ClipTruth.from_dict("demo", {"required": {"title": ["cinescribe demo"]}, "true_words": ["words"]})
    assert coverage(['The words "cinescribe demo" appear.'], truth).said == ["title"]
    assert coverage(["Demo of cinescribe."], truth).missed == ["title"]


def test_cut_score_matches_each_true_cut_once():
    score = cut_score([3.2, 3.3, 6.5, 9.0], WALKERS, tolerance=0.5)
    assert (score.hits, score.truth, score.detected) == (2, 2, 4)
    assert score.recall == 1.0 and score.precision == 0.5
    assert cut_score([], ClipTruth.from_dict("none", {}), 0.5).precision == 1.0
    assert cut_score([2.0], WALKERS, tolerance=0.5).recall == 0.0


def test_tokens_keep_hyphens_and_apostrophes():
    assert tokens("A close-up: the man's cup.") == ["a", "close-up", "the", "man's", "cup"]


def test_the_benchmark_truth_is_well_formed_and_its_describer_notes_pass_their_own_check():
    truth = yaml.safe_load(TRUTH.read_text())
    assert {"vtest", "box", "cup", "tree", "demo"} <= set(truth)
    for name, entry in truth.items():
        clip = ClipTruth.from_dict(name, entry)
        assert clip.required and clip.true_words and clip.describer
        cov = coverage([clip.describer], clip)
        assert cov.missed == [], (name, cov.missed)
        assert cov.false_claims == [], (name, cov.false_claims)
