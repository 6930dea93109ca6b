"""The review page's character gallery: thumbnails, renaming once for every AD, saved and re-exported."""

from __future__ import annotations

import json
import threading

import pytest

from cinescribe.describe.facts import Fact
from cinescribe.describe.planner import Slot
from cinescribe.describe.script import ADScript, AudioDescription
from cinescribe.describe.document import read_document
from cinescribe.export.review.server import Review, make_server
from cinescribe.face_videos import make_face_video, shot_plan
from cinescribe.media.fingerprint import fingerprint
from test_review import CHROMIUM, review_page, request

NAME = "Zoë Ñúñez-山田"
TEXTS = ["A woman in an orange top appears.", "A person in a black top appears.", "The woman in orange remains."]
MENTIONS = [("c1", "a woman in an orange top"), ("c2", "a person in a black top"), ("c1", "the woman in orange")]


def _character(cid, label, short, start, end):
    return {"id": cid, "name": None, "label": label, "short": short, "appearances": [{"start": start, "end": end}],
            "evidence": {"frames": [{"t": start + 1.0, "box": [0.3, 0.05, 0.7, 0.6], "score": 0.97}], "faces": 4,
                         "shots": [0]}}


@pytest.fixture
def folder(tmp_path):
    video = tmp_path / "faces.mp4"
    make_face_video(video, shot_plan(["astronaut", "cameraman", "astronaut"], 2.0), size=(320, 180))
    descriptions = []
    for i, (text, (cid, phrase)) in enumerate(zip(TEXTS, MENTIONS)):
        fact = Fact("character", f"character:{cid}", cid, tuple(phrase.split()), 1.0, {"character": cid})
        descriptions.append(AudioDescription(Slot(i, 2.0 * i + 0.2, 2.0 * i + 1.8, 4), text, [fact], [fact], [],
                                             characters=[cid], mentions=[{"character": cid, "phrase": phrase}]))
    script = ADScript(
        video={"path": str(video), "fingerprint": fingerprint(video), "duration": 6.0, "width": 320, "height": 180,
               "fps": 12.0, "has_audio": False},
        descriptions=descriptions, dialogue=[], speech=[], subtitles=0, shots=[], scenes=[], models={},
        config={"planner": {"words_per_second": 2.5}}, software={"cinescribe": "test"},
        characters=[_character("c1", "a woman in an orange top", "the woman in orange", 0.0, 2.0),
                    _character("c2", "a person in a black top", "the person in black", 2.0, 4.0)],
    )
    (tmp_path / "faces.ad.json").write_text(json.dumps(script.to_dict(), indent=1), encoding="utf-8")
    return tmp_path


@pytest.fixture
def server(folder):
    srv = make_server(Review(folder, formats=("vtt",)), 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield srv.server_address[1], folder
    srv.shutdown()
    srv.server_close()


def _texts(folder):
    return [d["text"] for d in read_document(folder / "faces.ad.json")["descriptions"]]


def test_rename_api_rewrites_every_ad_saves_a_backup_and_exports(server):
    port, folder = server
    original = (folder / "faces.ad.json").read_bytes()
    status, headers, jpeg = request(port, "GET", "/media/character/c1.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and jpeg[:2] == b"\xff\xd8"
    assert request(port, "GET", "/media/character/c9.jpg")[0] == 409
    state = json.loads(request(port, "GET", "/api/script")[2])
    status, _, body = request(port, "POST", "/api/rename", {"revision": state["revision"], "character": "c1", "name": NAME})
    result = json.loads(body)
    assert status == 200 and result["changed"] == [0, 2] and "faces.ad.vtt" in result["exported"]
    assert _texts(folder) == [f"{NAME} appears.", TEXTS[1], f"{NAME} remains."]
    assert (folder / "faces.ad.json.bak").read_bytes() == original
    vtt = (folder / "faces.ad.vtt").read_text(encoding="utf-8")
    assert f"{NAME} appears." in vtt and f"{NAME} remains." in vtt
    # a stale revision, an unknown character and a name already taken change nothing
    saved = (folder / "faces.ad.json").read_bytes()
    assert request(port, "POST", "/api/rename", {"revision": state["revision"], "character": "c2", "name": "Bo"})[0] == 409
    rev = json.loads(request(port, "GET", "/api/script")[2])["revision"]
    assert request(port, "POST", "/api/rename", {"revision": rev, "character": "c2", "name": NAME})[0] == 422
    assert request(port, "POST", "/api/rename", {"revision": rev, "character": "c7", "name": "Bo"})[0] == 422
    assert (folder / "faces.ad.json").read_bytes() == saved


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/setup.sh installs it)")
def test_renaming_in_the_page_updates_every_ad_and_the_exported_vtt(server, tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    port, folder = server
    shots = tmp_path_factory.mktemp("screenshots")
    errors: list[str] = []
    with review_page(sync_api, port, errors) as page:
        page.wait_for_selector("#character-c2 img")
        page.wait_for_function("[...document.querySelectorAll('#character-list img')].every(i => i.naturalWidth === 96)")
        assert page.get_by_role("img", name="Face of a woman in an orange top").is_visible()
        assert page.locator("#character-c1 .appearances button").inner_text() == "0:00.0–0:02.0"
        assert page.locator("#heard-names option").count() == 0 and page.locator("#heard-names-hint").is_hidden()
        page.get_by_label("Name of c1").fill(NAME)
        page.get_by_role("button", name="Rename c1 in every description").click()
        page.wait_for_function("document.querySelector('#character-status').textContent.startsWith('Renamed c1')",
                               timeout=60000)
        page.wait_for_function(f"document.querySelector('#ad-2-text') && "
                               f"document.querySelector('#ad-2-text').value === {json.dumps(NAME + ' remains.')}")
        assert page.get_by_label("Text of description 1").input_value() == f"{NAME} appears."
        assert page.get_by_label("Text of description 2").input_value() == TEXTS[1]
        assert page.locator("#character-c1-title").inner_text() == f"{NAME} (c1)"
        page.screenshot(path=str(shots / "renamed.png"), full_page=True)
    assert errors == []
    assert _texts(folder) == [f"{NAME} appears.", TEXTS[1], f"{NAME} remains."]
    vtt = (folder / "faces.ad.vtt").read_text(encoding="utf-8")
    assert f"{NAME} appears." in vtt and f"{NAME} remains." in vtt
    assert (folder / "faces.ad.json.bak").is_file()
    print(f"screenshot in {shots}")


HEARD = [{"name": "Bo", "count": 1, "first": 4.2}, {"name": NAME, "count": 3, "first": 12.5},
         {"name": "Ada", "count": 3, "first": 1.0}]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/setup.sh installs it)")
def test_heard_names_are_offered_for_renaming_and_choosing_one_renames(server, tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    port, folder = server
    path = folder / "faces.ad.json"
    doc = read_document(path)
    doc["heard_names"] = HEARD
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    shots = tmp_path_factory.mktemp("screenshots")
    errors: list[str] = []
    with review_page(sync_api, port, errors) as page:
        page.wait_for_selector("#character-c2 img")
        rename = page.get_by_label("Name of c1")
        offered = rename.evaluate("i => [...i.list.options].map(o => [o.value, o.label])")
        assert offered == [["Ada", "heard 3 times, first at 0:01.0"], [NAME, "heard 3 times, first at 0:12.5"],
                           ["Bo", "heard once, first at 0:04.2"]]
        assert page.get_by_label("Name of c2").evaluate("i => i.list.id") == "heard-names"
        hint = page.locator("#heard-names-hint")
        assert hint.is_visible() and "Ada (heard 3 times, first at 0:01.0)" in hint.inner_text()
        assert rename.evaluate("i => i.getAttribute('aria-describedby')") == "heard-names-hint"
        page.screenshot(path=str(shots / "heard-names.png"), full_page=True)
        rename.fill(offered[1][0])
        page.get_by_role("button", name="Rename c1 in every description").click()
        page.wait_for_function("document.querySelector('#character-status').textContent.startsWith('Renamed c1')",
                               timeout=60000)
        page.wait_for_function(f"document.querySelector('#ad-2-text') && "
                               f"document.querySelector('#ad-2-text').value === {json.dumps(NAME + ' remains.')}")
        assert page.locator("#character-c1-title").inner_text() == f"{NAME} (c1)"
        page.wait_for_function("document.querySelector('#heard-names').options.length === 2")
        assert page.locator("#heard-names option").evaluate_all("os => os.map(o => o.value)") == ["Ada", "Bo"]
    assert errors == []
    assert _texts(folder) == [f"{NAME} appears.", TEXTS[1], f"{NAME} remains."]
    vtt = (folder / "faces.ad.vtt").read_text(encoding="utf-8")
    assert f"{NAME} appears." in vtt and f"{NAME} remains." in vtt
    assert read_document(path)["heard_names"] == HEARD
    print(f"screenshot in {shots}")
