"""The AD style checker, rule by rule on sentences that break and keep each rule, and ``cinescribe check``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cinescribe.describe.style import RULES, check_descriptions, check_document, sentence_findings


def rules_of(text: str, fact_words=()) -> set[str]:
    return {f.rule for f in sentence_findings(text, fact_words)}


SENTENCE_CASES = [
    # (rule, sentences that break it, sentences that keep it)
    ("tense", ["He walked to the door.", "She went home.", "The man was at the table.", "Jim ran off."],
     ["He walks to the door.", "A parked van stands by the wall.", "He puts the cup down.",
      "A woman sits, legs crossed.", "The left engine stops."]),
    ("passive", ["The door is opened by Tom.", "The cars are parked outside."],
     ["Tom opens the door.", "She is walking home."]),
    ("viewer", ["We see a car.", "You see a man.", "The cat looks at us."],
     ["A car stops.", 'A sign reads "WE ARE OPEN".']),
    ("camera", ["The camera pans left.", "In this shot, a man runs.", "A man is shown."],
     ["A man runs.", "She tilts her head."]),
    ("hedging", ["She seems tired.", "He appears to sleep.", "It looks like a gun.", "Perhaps he waits."],
     ["She yawns.", "A cup appears.", "He looks at the gun."]),
    ("interpretation", ["A frightened person sits.", "She wants the cup.", "He is angry.", "Tom thinks."],
     ["A person stares wide-eyed.", "She reaches for the cup.", "He scowls.", "She feels the wall."]),
    ("capital", ["In a wide shot, Four people stand.", "A man holds The cup."],
     ["Four people stand.", "Anna meets Tom.", 'The words "THE END" appear.']),
]


@pytest.mark.parametrize("rule,bad,good", SENTENCE_CASES, ids=[c[0] for c in SENTENCE_CASES])
def test_sentence_rule(rule, bad, good):
    for text in bad:
        assert rule in rules_of(text), (rule, text)
    for text in good:
        assert rule not in rules_of(text), (rule, text)


def test_findings_carry_id_severity_message_and_words():
    (f,) = [f for f in sentence_findings("We see a frightened person.") if f.rule == "interpretation"]
    assert f.severity == "error" and f.words == ("frightened",) and "emotion" in f.message
    assert {r.severity for r in RULES.values()} == {"error", "warning"}
    assert f.to_dict() == {"rule": "interpretation", "severity": "error", "message": f.message,
                           "words": ["frightened"]}


def ad(index, start, end, text, facts=(), considered=()):
    return {"index": index, "start": start, "end": end, "text": text, "facts": list(facts),
            "considered_facts": list(considered)}


def rules(findings):
    return [{f.rule for f in found} for found in findings]


def test_late_description():
    seen_at_2 = {"kind": "action", "key": "action:wave", "words": ["wave"], "evidence": {"frames": [2.0]}}
    late, on_time = rules(check_descriptions([ad(0, 5.0, 8.0, "A person waves.", [seen_at_2]),
                                             ad(1, 1.8, 4.0, "A person waves.", [seen_at_2])]))
    assert "late" in late and "late" not in on_time


def test_speech_time_too_long_with_a_voice_and_estimated_without():
    text = "A man in a grey coat crosses the busy street and waves."  # 12 words
    slow_voice = lambda t: 5.0  # noqa: E731
    (voiced,) = check_descriptions([ad(0, 0.0, 4.5, text)], speech_time=slow_voice)
    (f,) = [f for f in voiced if f.rule == "too_long"]
    assert "measured by the voice" in f.message
    (estimated,) = check_descriptions([ad(0, 0.0, 4.0, text)])
    (g,) = [g for g in estimated if g.rule == "too_long"]
    assert "estimated" in g.message
    (fits,) = check_descriptions([ad(0, 0.0, 6.0, text)], speech_time=lambda t: 4.0)
    assert not {"too_long", "too_fast"} & {f.rule for f in fits}


def test_too_fast_for_180_words_per_minute():
    text = "A man in a grey coat crosses the busy street and waves."  # 12 words: 4 s at 180 wpm
    (fast,) = check_descriptions([ad(0, 0.0, 3.5, text)], speech_time=lambda t: 3.0)
    (ok,) = check_descriptions([ad(0, 0.0, 4.2, text)], speech_time=lambda t: 3.0)
    assert "too_fast" in {f.rule for f in fast} and "too_fast" not in {f.rule for f in ok}


def test_overlap_with_dialogue_and_window_to_next_dialogue():
    over, clear = rules(check_descriptions([ad(0, 1.0, 4.0, "A man sits."), ad(1, 6.0, 9.0, "A dog barks.")],
                                           dialogue=[(3.0, 5.0)]))
    assert "dialogue" in over and "dialogue" not in clear


def test_near_duplicate_and_same_opening():
    first, dup, fresh = rules(check_descriptions([
        ad(0, 0, 3, "Three people walk along the path."), ad(1, 4, 7, "Three people walk along a path."),
        ad(2, 8, 11, "A van parks by the building.")]))
    assert "repeat" in dup and "opening" in dup
    assert not {"repeat", "opening"} & (first | fresh)


def test_on_screen_text_read_but_not_said():
    text = {"kind": "text", "key": "text:exit", "value": "EXIT", "words": ["EXIT"], "evidence": {}}
    unsaid, said = rules(check_descriptions([ad(0, 0, 3, "A man runs.", considered=[text]),
                                            ad(1, 4, 7, 'The words "EXIT" appear on screen.', [text], [text])]))
    assert "text_unread" not in unsaid  # said in the next AD
    (alone,) = rules(check_descriptions([ad(0, 0, 3, "A man runs.", considered=[text])]))
    assert "text_unread" in alone and "text_unread" not in said


def test_named_character_called_a_man_again():
    anna = {"kind": "character", "key": "character:c1", "value": "woman in purple", "words": ["woman", "purple", "Anna"],
            "evidence": {"character": "c1"}}
    doc = {"timeline": {"dialogue": []}, "characters": [{"id": "c1", "name": "Anna", "label": "woman in purple"}],
           "descriptions": [ad(0, 0, 3, "Anna sits.", [anna]), ad(1, 4, 7, "A woman in purple stands.", [anna]),
                            ad(2, 8, 11, "Anna stands.", [anna]), ad(3, 12, 15, "A woman waves.", [anna])]}
    found = rules(check_document(doc))
    assert "renamed" not in found[0] and "renamed" in found[1]
    assert "renamed" not in found[2] and "renamed" in found[3]
    before = {**doc, "descriptions": [ad(0, 0, 3, "A woman in purple sits.", [anna]), ad(1, 4, 7, "Anna stands.", [anna])]}
    assert not any("renamed" in r for r in rules(check_document(before)))


def test_clean_script_has_no_findings():
    doc = {"timeline": {"dialogue": [{"start": 3.0, "end": 4.0}]},
           "descriptions": [ad(0, 0.0, 2.8, "A woman opens the door."), ad(1, 4.2, 7.0, "Outside, rain falls."),
                            ad(2, 8.0, 9.0, "")]}
    assert check_document(doc) == [[], [], []]


# --- the command -------------------------------------------------------------------------------


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cinescribe", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def script_doc(texts):
    return {
        "schema": "cinescribe.ad-script/1",
        "video": {"path": "x.mp4", "duration": 30.0},
        "timeline": {"dialogue": [{"start": 20.0, "end": 25.0}], "speech": [], "shots": [], "scenes": []},
        "descriptions": [{"index": i, "start": 4.0 * i, "end": 4.0 * i + 3.5, "word_budget": 8,
                          "words": len(t.split()), "text": t, "facts": [], "considered_facts": [], "keyframes": []}
                         for i, t in enumerate(texts)],
    }


@pytest.mark.slow
def test_check_command_exit_codes(tmp_path):
    good = tmp_path / "good.ad.json"
    good.write_text(json.dumps(script_doc(["A woman opens the door.", "Rain falls on the street."])))
    ok = run("check", good, "--voice", "none")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "0 errors" in ok.stdout and "estimated" in ok.stdout

    bad = tmp_path / "bad.ad.json"
    bad.write_text(json.dumps(script_doc(["We see a frightened man.", "Rain falls on the street."])))
    fails = run("check", bad, "--voice", "none", "--json")
    assert fails.returncode == 1, fails.stderr
    result = json.loads(fails.stdout)
    flagged = {f["rule"]: f["words"] for f in result["descriptions"][0]["findings"]}
    assert flagged["viewer"] == ["We"] and flagged["interpretation"] == ["frightened"]
    assert result["errors"] == 2

    broken = tmp_path / "broken.ad.json"
    broken.write_text("{not json")
    proc = run("check", broken)
    assert proc.returncode == 2 and proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
    assert run("check", good, "--voice", "robot").returncode == 2
