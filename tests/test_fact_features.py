"""Fact clips: the perception vectors implied by AD text (data/fact_features.py)."""

import numpy as np
import pytest

from cinescribe.data.annotations import AD
from cinescribe.data.config import DataConfig, build_dataset
from cinescribe.data.fact_features import ImpliedFacts, clean_vector, fact_clips, implied_facts, simulated_frames
from cinescribe.errors import InputError
from cinescribe.features.encoders.perception import COCO, EXPRESSIONS, POSTURES

PERSON = COCO.index("person")
FACES = len(COCO)  # one-hot 0, 1, 2, 3+ faces
EXPR = FACES + 4
POSTURE = EXPR + len(EXPRESSIONS)
TEXT = POSTURE + len(POSTURES)


@pytest.mark.parametrize("ad, expected", [
    ("She smiles and sits on the couch with a cup of coffee.",
     ImpliedFacts(frozenset({"person", "couch", "cup"}), 1, "happy", "sitting", False)),
    ("Two men run to the car.", ImpliedFacts(frozenset({"person", "car"}), 2, None, "standing", False)),
    ("He glares at her.", ImpliedFacts(frozenset({"person"}), 2, "angry", None, False)),
    ("He raises his hands.", ImpliedFacts(frozenset({"person"}), 1, None, "arms raised", False)),
    ("A note on the table reads: meet me.", ImpliedFacts(frozenset({"dining table"}), 0, None, None, True)),
    ("It stops.", ImpliedFacts(frozenset(), 0, None, None, False)),
    ("Outside, Joey waves to Rachel.", ImpliedFacts(frozenset({"person"}), 2, None, None, False)),
])
def test_implied_facts(ad, expected):
    assert implied_facts(ad) == expected


def test_clean_vector_encodes_the_facts_like_the_perception_encoder():
    v = clean_vector(implied_facts("She smiles and sits on the couch."))
    assert v.shape == (99,) and np.linalg.norm(v) == pytest.approx(1.0, abs=1e-6)
    on = {i for i in np.flatnonzero(v)}
    assert on == {PERSON, COCO.index("couch"), FACES + 1, EXPR + EXPRESSIONS.index("happy"),
                  POSTURE + POSTURES.index("sitting")}
    nothing = clean_vector(implied_facts("It stops."))
    assert np.flatnonzero(nothing).tolist() == [FACES, 98]  # no faces, nothing detected


def test_simulated_frames_are_seeded_noisy_views_of_the_facts():
    facts = implied_facts("He sits at the table and reads a letter.")
    other = implied_facts("A dog runs across the street.")
    exact = simulated_frames(facts, [other], 6, np.random.default_rng(1), miss=0.0, spill=0.0, spurious=0.0)
    assert exact.shape == (6, 99)
    pattern = np.flatnonzero(clean_vector(facts))
    assert all(np.array_equal(np.flatnonzero(row), pattern) for row in exact)  # every fact in every frame
    assert exact[:, PERSON].min() > 0 and exact[:, TEXT].min() > 0
    a = simulated_frames(facts, [other], 50, np.random.default_rng(7))
    b = simulated_frames(facts, [other], 50, np.random.default_rng(7))
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    dog = COCO.index("dog")
    assert 0 < (a[:, dog] > 0).sum() < 50  # some frames show the neighbouring AD
    assert (a[:, PERSON] == 0).any()  # some detections are missed


def test_fact_clips_and_their_data_source(tmp_path):
    ads = [AD("ep1", float(i), i + 1.0, t) for i, t in
           enumerate(["He sits down.", "She smiles at him.", "A car stops outside."])] + [
           AD("ep2", 0.0, 1.0, "It stops.")]
    films = fact_clips(ads, frames=4, scene_neighbours=1)
    assert [len(films["ep1"]), len(films["ep2"])] == [3, 1]
    middle = films["ep1"][1]
    assert middle.frames.shape == (4, 99) and middle.text == "She smiles at him."
    assert np.allclose(middle.scene, np.stack([clean_vector(implied_facts(ads[0].text)),
                                               clean_vector(implied_facts(ads[2].text))]))
    assert np.array_equal(films["ep2"][0].scene, np.zeros((1, 99), np.float32))
    again = fact_clips(ads, frames=4, scene_neighbours=1)
    assert np.array_equal(again["ep1"][2].frames, films["ep1"][2].frames)
    with pytest.raises(InputError, match="at least one frame"):
        fact_clips(ads, frames=0)

    csv = tmp_path / "ads.csv"
    csv.write_text("index,text_gt\n" + "".join(f"{i},{a.text}\n" for i, a in enumerate(ads)))
    dataset = build_dataset(DataConfig(source="facts", corpus=str(csv), facts_frames=3, sequence_length=2,
                                       scene_neighbours=1))
    assert dataset.dim == 99 and dataset[0].clips[0].frames.shape == (3, 99)
    with pytest.raises(ValueError, match="facts_frames"):
        DataConfig(source="facts", facts_frames=0)
