"""The sentence writer in the guides' form: subjects, verbs by count, place cues, openings, candidates."""

from __future__ import annotations

import itertools

import pytest

from cinescribe.describe.facts import Fact, verb_forms
from cinescribe.describe.style import errors, sentence_findings
from cinescribe.describe.writer import MAX_CANDIDATES, candidates, conjugate, opening, unlicensed_words, write


def F(kind, key, value, words, salience, evidence=None):
    return Fact(kind, key, value, tuple(words), salience, evidence or {})


def by_salience(*facts):
    return sorted(facts, key=lambda f: -f.salience)


PEOPLE3 = F("people", "people:3", 3, ["three", "people"], 1.0)
WALK3 = F("action", "action:walk", "walk", ["walk"], 0.8, {"tracks": [1, 2, 3], "count": 3, "direction": "left"})
HOLD1 = F("action", "action:hold", "hold", ["hold"], 0.8, {"tracks": [4], "count": 1, "object": "umbrella"})
SIT_DOWN1 = F("action", "action:sit down", "sit down", ["sit", "down"], 0.75, {"tracks": [4], "count": 1})
STREET = F("setting", "setting:street", "street", ["street"], 0.5)
KITCHEN = F("setting", "setting:kitchen", "kitchen", ["kitchen"], 0.5)
NIGHT = F("daylight", "daylight:night", "night", ["night"], 0.4)
OUTDOORS = F("place", "place:outdoors", "outdoors", ["outdoors"], 0.45)
SCENE = F("scene", "scene:2", 2, ["elsewhere", "new", "scene", "changes"], 0.3)
ANNA = F("character", "character:c1", "woman in purple", ["woman", "purple", "anna"], 1.0,
         {"character": "c1", "tracks": [4]})
SMILE = F("expression", "expression:happy", "smile", verb_forms("smile"), 0.7)
EXIT = F("text", "text:exit", "EXIT", ["EXIT"], 0.9)


def refer(character_id, known):
    assert character_id == "c1"
    return "Anna" if known else "a woman in purple"


def test_verbs_are_conjugated_by_count_with_object_and_direction():
    assert conjugate("sit down", True) == "sits down" and conjugate("carry", True) == "carries"
    assert write(by_salience(PEOPLE3, WALK3), 8).text == "Three people walk to the left."
    one = F("people", "people:1", 1, ["person"], 1.0)
    assert write(by_salience(one, HOLD1), 8).text == "A person holds an umbrella."
    assert write(by_salience(one, SIT_DOWN1), 8).text == "A person sits down."


def test_action_count_sets_the_subject_when_it_differs_from_the_people_count():
    walk2 = F("action", "action:walk", "walk", ["walk"], 0.8, {"tracks": [1, 2], "count": 2})
    w = write(by_salience(PEOPLE3, walk2), 8)
    assert w.text == "Two people walk." and unlicensed_words(w) == []
    assert [f.kind for f in w.facts] == ["action"]  # "three people" is not claimed


def test_characters_are_referred_to_by_the_callable():
    facts = by_salience(ANNA, HOLD1, SMILE)
    assert write(facts, 12, refer=refer).text == "A woman in purple smiles and holds an umbrella."
    known = write(facts, 12, refer=refer, is_known=lambda k: k == "character:c1")
    assert known.text == "Anna smiles and holds an umbrella."
    assert unlicensed_words(known) == []
    other = F("action", "action:wave", "wave", ["wave"], 0.9, {"tracks": [9], "count": 1})
    assert "waves" not in write(by_salience(ANNA, other), 12, refer=refer).text  # someone else waves


def test_place_and_time_cue_comes_first_after_a_scene_change():
    facts = by_salience(PEOPLE3, WALK3, STREET, NIGHT, OUTDOORS, SCENE)
    w = write(facts, 14)
    assert w.text == "Outdoors at night in a street, three people walk to the left."
    assert unlicensed_words(w) == []
    plain = write(by_salience(PEOPLE3, WALK3, KITCHEN), 14)
    assert plain.text == "Three people walk to the left in a kitchen."
    assert write(by_salience(PEOPLE3, WALK3, SCENE), 14).text == "Elsewhere, three people walk to the left."


def test_on_screen_text_is_read_out():
    assert write([EXIT], 8).text == 'The words "EXIT" appear on screen.'
    both = write(by_salience(PEOPLE3, WALK3, EXIT), 14).text
    assert '"EXIT"' in both and both.startswith("Three people walk to the left.")


def test_openings_differ_from_the_previous_ad_when_a_wording_allows():
    facts = by_salience(PEOPLE3, WALK3, STREET)
    first = write(facts, 10)
    second = write(facts, 10, previous=first.text)
    assert opening(first.text) != opening(second.text)
    assert second.text == "In a street, three people walk to the left."


def test_candidates_differ_in_facts_first_then_wording():
    facts = by_salience(PEOPLE3, WALK3, STREET, NIGHT, EXIT)
    found = candidates(facts, 10)
    texts = [w.text for w in found]
    assert 2 <= len(found) <= MAX_CANDIDATES and len(set(texts)) == len(texts)
    fact_sets = [frozenset(f.key for f in w.facts) for w in found]
    assert fact_sets[0] != fact_sets[1]  # the runner-up says something else
    assert all(len(t.split()) <= 10 and unlicensed_words(w) == [] for t, w in zip(texts, found))
    assert write(facts, 10).alternatives == tuple(found[1:])


ALL = [PEOPLE3, WALK3, HOLD1, STREET, NIGHT, OUTDOORS, SCENE, SMILE, EXIT,
       F("object", "object:cup", "cup", ["cup"], 0.6), F("object", "object:umbrella", "umbrella", ["umbrella"], 0.55),
       F("posture", "posture:sitting", "sitting", ["sitting", "sits", "sit"], 0.6),
       F("fade", "fade:out", "out", ["fades", "black"], 0.8), F("camera", "camera:pan-left", "pans left",
                                                               ["camera", "pans", "left"], 0.45)]


@pytest.mark.parametrize("size", [1, 2, 3])
def test_no_style_errors_no_capitals_mid_sentence_every_word_licensed(size):
    for combo in itertools.combinations(ALL, size):
        for budget in (4, 9, 20):
            for w in candidates(by_salience(*combo), budget):
                assert errors(sentence_findings(w.text, [x for f in w.facts for x in f.words])) == [], w.text
                assert unlicensed_words(w) == [], w.text
                assert len(w.text.split()) <= budget
                for sentence in w.text.split(". "):
                    words = sentence.replace('"EXIT"', "").split()
                    assert all(not x[0].isupper() for x in words[1:]), w.text
