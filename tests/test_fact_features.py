"""Fact clips: the perception vectors implied by AD text (data/fact_features.py)."""

import numpy as np
import pytest

from cinescribe.data.annotations import AD
from cinescribe.data.config import DataConfig, build_dataset
from cinescribe.data.fact_features import (ImpliedFacts, clean_vector, fact_clips, film_characters, implied_facts,
                                           noisy_slot, simulated_frames, slot_facts_of)
from cinescribe.data.fact_vector import SlotFacts, fact_rows
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
    films = fact_clips(ads, frames=4, scene_neighbours=1, vector="frames")
    assert [len(films["ep1"]), len(films["ep2"])] == [3, 1]
    middle = films["ep1"][1]
    assert middle.frames.shape == (4, 99) and middle.text == "She smiles at him."
    assert np.allclose(middle.scene, np.stack([clean_vector(implied_facts(ads[0].text)),
                                               clean_vector(implied_facts(ads[2].text))]))
    assert np.array_equal(films["ep2"][0].scene, np.zeros((1, 99), np.float32))
    again = fact_clips(ads, frames=4, scene_neighbours=1, vector="frames")
    assert np.array_equal(again["ep1"][2].frames, films["ep1"][2].frames)
    with pytest.raises(InputError, match="at least one frame"):
        fact_clips(ads, frames=0)

    csv = tmp_path / "ads.csv"
    csv.write_text("index,text_gt\n" + "".join(f"{i},{a.text}\n" for i, a in enumerate(ads)))
    dataset = build_dataset(DataConfig(source="facts", corpus=str(csv), facts_frames=3, sequence_length=2,
                                       scene_neighbours=1, fact_vector="frames"))
    assert dataset.dim == 99 and dataset[0].clips[0].frames.shape == (3, 99)
    with pytest.raises(ValueError, match="facts_frames"):
        DataConfig(source="facts", facts_frames=0)


@pytest.mark.parametrize("ad, expected", [
    ("Later, she sits down at the dinner table.",
     SlotFacts(actions=frozenset({"sit down"}), settings=frozenset({"dining table"}), new_scene=True)),
    ("He walks away along the beach at night, carrying a box.",
     SlotFacts(actions=frozenset({"walk", "move away", "hold"}), settings=frozenset({"shore"}),
               things=frozenset({"box"}), place="outdoors", daylight="night")),
    ("He leaves the kitchen.", SlotFacts(actions=frozenset({"leave"}), place="indoors")),
    ("The green leaves fall in the garden.",
     SlotFacts(actions=frozenset({"fall"}), things=frozenset({"leaves"}), place="outdoors", daylight="day")),
    ("She raises her hand and reads the sign.",
     SlotFacts(actions=frozenset({"raise an arm"}), things=frozenset({"hand"}), text=True)),
    ("It stops.", SlotFacts()),
])
def test_slot_facts_of_an_ad(ad, expected):
    assert slot_facts_of(ad) == expected


def test_film_characters_are_ranked_by_first_mention_with_their_gender():
    texts = ["The Enterprise stops.", "Picard turns to Riker and Troi.", "Later, Riker sits down and he smiles.",
             "He nods.", "Troi looks at her screen.", "A woman enters.", "Riker nods to Picard and he leaves.",
             "Then Troi sits down."]
    assert film_characters(texts) == [
        ((1, None),),
        ((2, None), (3, "male"), (4, "female")),  # names: capitalised inside a sentence somewhere in the film
        ((3, "male"),),
        ((3, "male"),),  # "he" with no man named: the man mentioned last
        ((4, "female"),),
        ((5, "female"),),  # "a woman": a new character
        ((3, "male"), (2, None)),
        ((4, "female"),),
    ]


def test_noisy_slot_is_seeded_and_misses_facts():
    facts = slot_facts_of("At night, he walks along the street, carrying a box, and turns.", ((1, "male"),))
    assert noisy_slot(facts, np.random.default_rng(0), miss=0.0, spurious=0.0) == facts
    drawn = [noisy_slot(facts, np.random.default_rng(k), miss=0.5, spurious=0.5) for k in range(40)]
    assert drawn == [noisy_slot(facts, np.random.default_rng(k), miss=0.5, spurious=0.5) for k in range(40)]
    assert any(d.actions < facts.actions for d in drawn) and any(not d.characters for d in drawn)
    assert any(d.actions - facts.actions for d in drawn)  # a spurious action


def test_fact_clips_join_the_slot_facts_read_from_the_named_text(tmp_path):
    named = ["Picard sits down.", "Then Riker smiles at Picard.", "He walks along the street."]
    ads = [AD("ep1", float(i), i + 1.0, t) for i, t in enumerate(["He sits down.", "He smiles at him.",
                                                                     "He walks along the street."])]
    films = fact_clips(ads, frames=4, scene_neighbours=1, fact_texts=named)
    clips = films["ep1"]
    assert clips[1].frames.shape == (4, 175) and clips[1].text == "He smiles at him."
    assert np.allclose(np.linalg.norm(clips[1].frames, axis=1), 1.0, atol=1e-5)
    slots = [slot_facts_of(t, c) for t, c in zip(named, film_characters(named))]
    assert slots[1].characters == ((2, None), (1, None))
    expected_scene = np.stack([fact_rows(clean_vector(implied_facts(named[p]))[None], slots[p])[0] for p in (0, 2)])
    assert np.allclose(clips[1].scene, expected_scene)
    with pytest.raises(InputError, match="2 fact texts for 3 ADs"):
        fact_clips(ads, fact_texts=named[:2])
    with pytest.raises(InputError, match="unknown fact vector"):
        fact_clips(ads, vector="pixels")

    csv = tmp_path / "ads.csv"
    csv.write_text("index,text_gt,text_gt_wo_char\n" + "".join(f'{i},"{n}","{a.text}"\n' for i, (n, a) in
                                                               enumerate(zip(named, ads))))
    dataset = build_dataset(DataConfig(source="facts", corpus=str(csv), column="text_gt_wo_char",
                                       facts_column="text_gt", facts_frames=2, sequence_length=3, scene_neighbours=1))
    clip = dataset[0].clips[1]
    assert dataset.dim == 175 and clip.text == "He smiles at him."
    assert np.allclose(clip.scene, expected_scene)  # the facts come from the named text
