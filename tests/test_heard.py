"""What the dialogue says: names heard, facts just spoken are down-weighted, dialogue text exports."""

from __future__ import annotations

import shutil

import pytest

from cinescribe.describe.facts import Fact
from cinescribe.describe.heard import down_weight_heard, heard_names, line_before
from cinescribe.describe.planner import Slot
from cinescribe.describe.script import ADScript, AudioDescription
from cinescribe.export.transcript import dialogue_srt, text_alternative, to_transcript_html, to_transcript_txt
from cinescribe.media.asr import Segment, Transcript, Word


def segment(start: float, text: str, speaker: str = "") -> Segment:
    words, t = [], start
    for w in text.split():
        words.append(Word(t, t + 0.3, w, 0.9))
        t += 0.35
    return Segment(start, t, text, tuple(words), speaker)


TRANSCRIPT = Transcript("en", 0.98, "tiny.en", [
    segment(1.0, "Hello Maria, where is the red car?"),
    segment(4.0, "Maria said John took it. Tuesday, I think."),
    segment(9.0, "Stop. Look at the <dog> & the cat.", speaker="John"),
])


def test_names_are_capitalised_words_not_opening_a_sentence():
    names = heard_names(TRANSCRIPT)
    assert [n["name"] for n in names] == ["Maria", "John"]  # not Hello, Tuesday, I, Stop, Look
    assert names[0]["count"] == 1 and names[0]["first"] == pytest.approx(1.35)


def test_fact_just_said_is_down_weighted():
    car = Fact("object", "object:car", "car", ("red", "car"), 0.8)
    tree = Fact("object", "object:tree", "tree", ("tree",), 0.5)
    line = line_before(TRANSCRIPT, 3.6)
    assert line is TRANSCRIPT.segments[0]
    weighed = down_weight_heard([car, tree], line)
    assert [f.key for f in weighed] == ["object:tree", "object:car"]
    assert weighed[1].salience == pytest.approx(0.24) and "heard_in_dialogue" in weighed[1].evidence
    assert down_weight_heard([car, tree], line_before(TRANSCRIPT, 30.0)) == [car, tree]  # long ago: no effect


def script(extended: bool = False) -> ADScript:
    slots = [Slot(0, 0.0, 0.9, 2), Slot(1, 7.0, 8.8, 4)]
    ads = [AudioDescription(slots[0], "A title card.", [], [], []),
           AudioDescription(slots[1], "A red car drives off.", [], [], [], extended=extended,
                            pause_at=7.0 if extended else None, pause_s=2.0 if extended else 0.0)]
    return ADScript({"path": "/films/Street scene.mp4", "duration": 12.0}, ads, [], [], 0, [], [], {}, {},
                    transcript=TRANSCRIPT)


def test_text_alternative_interleaves_in_time_order():
    entries = text_alternative(script())
    assert [(e.kind, e.t) for e in entries] == [("description", 0.0), ("dialogue", 1.0), ("dialogue", 4.0),
                                                ("description", 7.0), ("dialogue", 9.0)]
    txt = to_transcript_txt(script(extended=True))
    assert "[00:00:07] DESCRIPTION (video paused 2 s): A red car drives off." in txt
    assert "[00:00:09] JOHN: Stop. Look at the <dog> & the cat." in txt
    assert "[00:00:01] DIALOGUE: Hello Maria" in txt


def test_dialogue_srt_splits_long_lines():
    long = Transcript("en", 1.0, "base", [segment(0.0, " ".join(["word"] * 30))])
    srt = dialogue_srt(long)
    cues = srt.strip().split("\n\n")
    assert len(cues) == 2 and cues[1].startswith("2\n")
    assert all(len(line) <= 42 for cue in cues for line in cue.split("\n")[2:])
    assert "00:00:00,000 --> " in cues[0]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/setup.sh installs it)")
def test_transcript_html_opens_in_headless_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    page_file = tmp_path / "t.transcript.html"
    page_file.write_text(to_transcript_html(script(extended=True)), encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            assert page.evaluate("document.documentElement.lang") == "en"
            assert page.locator("main h1").inner_text().endswith("Street scene.mp4")
            paragraphs = page.locator("main p.description, main p.dialogue")
            assert paragraphs.count() == 5
            assert page.locator("p.dialogue").nth(2).inner_text().endswith("Look at the <dog> & the cat.")
            assert page.locator("p.description").nth(1).locator("time").get_attribute("datetime") == "PT7.000S"
            assert "video paused" in page.locator("p.description").nth(1).inner_text()
        finally:
            browser.close()
