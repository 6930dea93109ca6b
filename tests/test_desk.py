"""The describer's desk on the review page: style findings beside each AD, re-checked on edit, and
the writer's candidates picked by keyboard and saved (API, and the page in headless Chromium)."""

from __future__ import annotations

import json

import pytest

from cinescribe.export.review.edits import Edit, revision, save_edits
from test_review import CHROMIUM, review_page, doc_of, folder, request, server  # noqa: F401 (fixtures)

CANDIDATES = [{"text": "A woman smiles.", "facts": ["object:cat"]},
              {"text": "A cat appears.", "facts": ["object:cat"]},
              {"text": "A cat sits.", "facts": ["object:cat", "posture:sitting"]}]


@pytest.fixture
def desk(folder):  # noqa: F811
    path = folder / "speech.ad.json"
    doc = json.loads(path.read_text())
    first = doc["descriptions"][0]
    first["candidates"] = CANDIDATES
    first["considered_facts"].append({"kind": "posture", "key": "posture:sitting", "value": "sitting",
                                      "words": ["sitting", "sits", "sit"], "salience": 0.6, "evidence": {}})
    first["style"] = []
    first["keyframes"] = [2.5, 3.5]
    doc["timeline"]["shots"] = [{"start": 0.0, "end": 6.0}, {"start": 6.0, "end": 10.0}]
    path.write_text(json.dumps(doc))
    return folder


def test_saving_a_candidate_takes_its_facts_and_records_fresh_findings(desk):
    path = desk / "speech.ad.json"
    d0 = doc_of(desk)["descriptions"][0]
    result = save_edits(path, [Edit(0, "A cat sits.", d0["start"], d0["end"], candidate=2)], revision(path))
    assert result["saved"], result
    saved = doc_of(desk)["descriptions"][0]
    assert saved["text"] == "A cat sits." and saved["candidate"] == 2
    assert [f["key"] for f in saved["facts"]] == ["object:cat", "posture:sitting"]
    assert saved["style"] == []
    # a text that is not the candidate's keeps the facts it had; the findings follow the new text
    result = save_edits(path, [Edit(0, "We see a cat.", d0["start"], d0["end"], candidate=1)], result["revision"])
    saved = doc_of(desk)["descriptions"][0]
    assert saved["candidate"] == 2 and [f["rule"] for f in saved["style"]] == ["viewer"]


def test_bad_candidate_number_is_refused(desk):
    with pytest.raises(Exception, match="candidate"):
        Edit.from_json({"index": 0, "text": "x", "start": 2.2, "end": 4.0, "candidate": -1})


def test_validate_returns_style_findings(desk, server):  # noqa: F811
    port, _ = server
    status, _, body = request(port, "POST", "/api/validate",
                              {"index": 0, "text": "We see a frightened cat.", "start": 2.2, "end": 4.1})
    result = json.loads(body)
    assert status == 200 and "do not fit" in result["errors"][0]  # advice comes with the refusals
    assert {f["rule"]: f["words"] for f in result["style"]} == {"viewer": ["We"], "interpretation": ["frightened"]}


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/setup.sh installs it)")
def test_desk_in_headless_chromium(desk, server, tmp_path_factory):  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    port, folder = server
    shots = tmp_path_factory.mktemp("desk-screenshots")
    errors: list[str] = []
    with review_page(sync_api, port, errors) as page:
        page.wait_for_selector("#ads li.ad >> nth=2")
        item = page.locator("#ad-0")
        assert item.locator(".style-summary").text_content() == "Style: no findings."
        # the candidates are a labelled radio group; the one in use is checked
        group = item.get_by_role("group", name="Candidates for description 1")
        assert group.get_by_role("radio").count() == 3
        assert group.get_by_label("1. A woman smiles.").is_checked()
        # an edit is re-checked and its findings announced beside it
        text = item.get_by_label("Text of description 1")
        text.fill("We see a cat.")
        page.wait_for_function("document.querySelector('#ad-0 .style').textContent.includes('third person')")
        assert item.locator(".style li.error").count() == 1
        assert "ad-0-style-summary" in text.get_attribute("aria-describedby")
        # Alt+3 from the text picks candidate 3; arrow keys move within the group
        text.focus()
        page.keyboard.press("Alt+Digit3")
        assert text.input_value() == "A cat sits."
        page.wait_for_function("document.querySelector('#ad-0 .style-summary').textContent === 'Style: no findings.'")
        group.get_by_label("3. A cat sits.").focus()
        page.keyboard.press("ArrowUp")
        assert text.input_value() == "A cat appears." and group.get_by_label("2. A cat appears.").is_checked()
        page.keyboard.press("ArrowDown")
        assert text.input_value() == "A cat sits."
        page.screenshot(path=str(shots / "candidates.png"), full_page=True)
        # key-frame thumbnails are real images with a text alternative
        thumbs = item.locator(".thumbs img")
        assert thumbs.count() == 2 and thumbs.first.get_attribute("alt") == "Key frame of description 1 at 00:00:02.50"
        page.wait_for_function("[...document.querySelectorAll('#ad-0 .thumbs img')].every(i => i.naturalWidth > 0)")
        # the timeline strip: one tab stop, arrows move between segments and rows, Enter seeks, a click seeks
        strip = page.locator("#timeline")
        assert strip.get_by_role("group").count() == 3
        first = strip.get_by_role("button", name="Dialogue 1", exact=False)
        first.focus()
        page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Dialogue 2,")
        page.keyboard.press("ArrowDown")  # to the shot at the same time
        assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Shot 1,")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("End")
        label = page.evaluate("document.activeElement.getAttribute('aria-label')")
        assert label.startswith("Description 3: A cat sits, in close-up")
        page.keyboard.press("Enter")
        page.wait_for_function("Math.abs(document.querySelector('video').currentTime - 7.997) < 0.05")
        assert page.locator("#timeline-status").text_content().startswith("Moved to 00:00:08.00: Description 3")
        assert page.evaluate("[...document.querySelectorAll('#timeline .tl-seg')].filter(b => b.tabIndex === 0).length") == 1
        strip.get_by_role("button", name="Shot 2", exact=False).click()
        page.wait_for_function("Math.abs(document.querySelector('video').currentTime - 6.0) < 0.05")
        page.screenshot(path=str(shots / "desk.png"), full_page=True)
        text.focus()
        page.keyboard.press("Alt+KeyS")
        page.wait_for_function("document.querySelector('#ad-0 .saved').textContent.startsWith('Saved')")
    assert errors == []
    saved = doc_of(folder)["descriptions"][0]
    assert saved["text"] == "A cat sits." and saved["candidate"] == 2
    assert [f["key"] for f in saved["facts"]] == ["object:cat", "posture:sitting"]
    assert (shots / "candidates.png").stat().st_size > 10_000 and (shots / "desk.png").stat().st_size > 10_000
    print(f"screenshots in {shots}")


def test_key_frame_thumbnails(desk):
    from cinescribe.errors import InputError
    from cinescribe.export.review.desk import frame_jpeg

    cache: dict = {}
    jpeg = frame_jpeg(desk / "speech.mp4", "t=2.5", cache)
    assert jpeg[:2] == b"\xff\xd8" and cache[2.5] is jpeg
    assert frame_jpeg(desk / "speech.mp4", "t=2.500", cache) is jpeg  # cached by time
    for bad in ("", "t=soon", "t=-1", "t=nan"):
        with pytest.raises(InputError):
            frame_jpeg(desk / "speech.mp4", bad, cache)
    with pytest.raises(InputError, match="no frame"):
        frame_jpeg(desk / "speech.mp4", "t=999", cache)
