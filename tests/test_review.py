"""The review page: edit validation, atomic save with backup, the HTTP API, and the page in headless Chromium."""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cinescribe.errors import InputError
from cinescribe.describe.document import read_document
from cinescribe.export.pipeline import ExportConfig
from cinescribe.export.review.edits import Edit, StaleRevision, check_edit, revision, save_edits
from cinescribe.export.review.server import Review, make_server
from test_mix import make_script

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
@contextlib.contextmanager
def review_page(sync_api, port: int, errors: list[str]):
    """The review page served on ``port`` in headless Chromium (1280x900; page errors go to ``errors``)."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # lets the test evaluate JS
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"http://127.0.0.1:{port}/")
        try:
            yield page
        finally:
            browser.close()


BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio"]


@pytest.fixture
def folder(speech_video, tmp_path) -> Path:
    """A review folder: the video copied in, and its AD script (slots 0..2, dialogue from the generated speech)."""
    video = tmp_path / "speech.mp4"
    shutil.copyfile(speech_video.path, video)
    info = type(speech_video)(**{**speech_video.__dict__, "path": video})
    make_script(info, tmp_path / "speech.ad.json")
    return tmp_path


def doc_of(folder: Path) -> dict:
    return read_document(folder / "speech.ad.json")


def test_check_edit_rules(folder):
    doc = doc_of(folder)
    d0 = doc["descriptions"][0]  # slot 2.134-4.1 between dialogue 0.5-2.03 and 4.2-5.78
    ok = Edit(0, "A woman smiles.", d0["start"], d0["end"])
    assert check_edit(doc, ok) == []
    assert any("overlaps dialogue from 4.20 s" in e for e in check_edit(doc, Edit(0, "A woman.", 2.2, 4.5)))
    assert any("overlaps AD 1" in e for e in check_edit(doc, Edit(0, "A woman.", 5.9, 7.0)))
    assert any("do not fit" in e for e in check_edit(doc, Edit(0, "one two three four five six", 2.2, 4.0)))
    assert any("at least" in e for e in check_edit(doc, Edit(0, "A woman.", 3.0, 3.2)))
    assert any("after the end of the video" in e for e in check_edit(doc, Edit(2, "A cat.", 8.0, 12.0)))
    assert any("control characters" in e for e in check_edit(doc, Edit(0, "A\x07woman.", 2.2, 4.0)))
    assert check_edit(doc, Edit(9, "x", 1, 2)) == ["there is no AD with index 9"]


def test_save_writes_backup_and_refuses_bad_or_stale_edits(folder):
    path = folder / "speech.ad.json"
    original = path.read_bytes()
    rev = revision(path)
    result = save_edits(path, [Edit(0, "A  woman\nsmiles <b>&amp;</b>.", 2.3, 4.0)], rev)
    assert result["saved"], result["errors"]
    assert Path(result["backup"]).read_bytes() == original
    doc = doc_of(folder)
    first = doc["descriptions"][0]
    assert (first["text"], first["start"], first["end"], first["edited"]) == ("A woman smiles <b>&amp;</b>.", 2.3, 4.0, True)
    assert first["word_budget"] == 4 and doc["review"]["edits"] == 1
    saved = path.read_bytes()
    bad = save_edits(path, [Edit(1, "A cup.", 4.0, 5.0)], result["revision"])
    assert not bad["saved"] and "overlaps dialogue" in bad["errors"]["1"][0]
    with pytest.raises(StaleRevision):
        save_edits(path, [Edit(1, "A cup.", 6.0, 7.0)], rev)
    assert path.read_bytes() == saved  # refused edits change nothing
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("speech.ad.json")) == [
        "speech.ad.json", "speech.ad.json.bak", "speech.ad.json.orig"]
    assert (folder / "speech.ad.json.orig").read_bytes() == original


def test_review_refuses_other_video_missing_video_and_corrupt_json(folder, silent_video, tmp_path):
    with pytest.raises(InputError, match="not the video this AD script was made from"):
        Review(folder, video=silent_video.path)
    with pytest.raises(InputError, match="no such file"):
        Review(folder, video=folder / "missing.mp4")
    (folder / "speech.mp4").rename(folder / "moved.mp4")
    doc = json.loads((folder / "speech.ad.json").read_text())
    doc["video"]["path"] = str(folder / "speech.mp4")
    (folder / "speech.ad.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="give it with --video"):
        Review(folder)
    (folder / "speech.ad.json").write_text('{"schema": "cinescribe.ad-script/1", "video": ')
    with pytest.raises(InputError, match="corrupted JSON"):
        Review(folder, video=folder / "moved.mp4")


def request(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=data, headers={**hdrs, **(headers or {})})
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), payload


@pytest.fixture
def server(folder):
    review = Review(folder, formats=("vtt", "wav"), cfg=ExportConfig(voice="espeak"))
    srv = make_server(review, 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield srv.server_address[1], folder
    srv.shutdown()
    srv.server_close()


def test_api(server):
    port, folder = server
    status, headers, page = request(port, "GET", "/")
    assert status == 200 and b'<track id="ad-track" kind="descriptions"' in page and b"aria-live" in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    status, _, body = request(port, "GET", "/api/script")
    state = json.loads(body)
    assert status == 200 and len(state["doc"]["descriptions"]) == 3 and not state["has_ad_audio"]
    status, _, body = request(port, "POST", "/api/validate", {"index": 0, "text": "A woman.", "start": 2.2, "end": 4.5})
    assert status == 200 and "overlaps dialogue" in json.loads(body)["errors"][0]
    status, _, body = request(port, "POST", "/api/save",
                              {"revision": state["revision"], "edits": [{"index": 1, "text": "A mug.", "start": 5.9, "end": 7.4}]})
    assert status == 200 and json.loads(body)["saved"]
    status, _, vtt = request(port, "GET", "/media/ad.vtt")
    assert b"00:00:05.900 --> 00:00:07.400\nA mug." in vtt
    status, _, body = request(port, "POST", "/api/save", {"revision": state["revision"], "edits": [
        {"index": 1, "text": "A cup.", "start": 5.9, "end": 7.4}]})
    assert status == 409 and "changed on disk" in json.loads(body)["error"]
    status, headers, chunk = request(port, "GET", "/media/video", headers={"Range": "bytes=10-19"})
    assert status == 206 and chunk == (folder / "speech.mp4").read_bytes()[10:20]
    assert headers["Content-Range"].startswith("bytes 10-19/")
    status, _, body = request(port, "POST", "/api/export", {})
    assert status == 200 and "speech.ad.wav" in json.loads(body)["files"]
    assert json.loads(request(port, "GET", "/api/script")[2])["has_ad_audio"]
    assert request(port, "GET", "/api/script", headers={"Host": "attacker.example"})[0] == 403
    assert request(port, "POST", "/api/save", {"edits": []}, headers={"Origin": "http://attacker.example"})[0] == 403
    status, _, _ = request(port, "POST", "/api/save", None, headers={"Content-Type": "text/plain"})
    assert status == 415


def test_port_in_use_is_one_line_exit_2(folder):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} on 127.0.0.1 is in use"):
            make_server(Review(folder), port)
        done = subprocess.run([sys.executable, "-m", "cinescribe", "serve", str(folder), "--port", str(port)],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: port {port} on 127.0.0.1 is in use; choose another with --port"


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/setup.sh installs it)")
def test_page_in_headless_chromium(server, tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    port, folder = server
    shots = tmp_path_factory.mktemp("screenshots")
    errors: list[str] = []
    with review_page(sync_api, port, errors) as page:
        page.wait_for_selector("#ads li.ad >> nth=2")
        # every control has an accessible name
        assert page.get_by_label("Text of description 1").input_value() == "A woman smiles."
        assert page.get_by_label("Start of description 2 (seconds)").input_value() == "5.885"
        assert page.locator("#now").get_attribute("aria-live") == "polite"
        # play: the live region follows the description track
        page.evaluate("() => { const v = document.querySelector('video'); v.currentTime = 2.2; return v.play(); }")
        page.wait_for_function("document.querySelector('#now').textContent === 'A woman smiles.'", timeout=15000)
        assert page.evaluate("document.querySelector('video').currentTime") > 2.2
        page.screenshot(path=str(shots / "playing.png"))
        page.evaluate("document.querySelector('video').pause()")
        # a bad edit is refused with a message; the file is unchanged
        before = (folder / "speech.ad.json").read_bytes()
        item = page.locator("#ad-1")
        item.get_by_label("Start of description 2 (seconds)").fill("5.0")
        item.get_by_role("button", name="Save description 2").click()
        page.wait_for_function("document.querySelector('#ad-1 .errors').textContent.includes('overlaps dialogue')")
        assert (folder / "speech.ad.json").read_bytes() == before
        assert item.get_by_label("Start of description 2 (seconds)").get_attribute("aria-invalid") == "true"
        # a good edit, saved with the keyboard (Alt+S on the focused field), survives a reload
        item.get_by_label("Start of description 2 (seconds)").fill("5.9")
        text = item.get_by_label("Text of description 2")
        text.fill('<img src=x onerror=window.pwned=1>mug steams.')
        text.focus()
        page.keyboard.press("Alt+KeyS")
        page.wait_for_function("document.querySelector('#ad-1 .saved').textContent.startsWith('Saved')")
        page.screenshot(path=str(shots / "saved.png"), full_page=True)
        page.reload()
        page.wait_for_selector("#ads li.ad >> nth=2")
        assert page.get_by_label("Text of description 2").input_value() == '<img src=x onerror=window.pwned=1>mug steams.'
        assert page.get_by_label("Start of description 2 (seconds)").input_value() == "5.9"
        assert page.locator("#ad-1 .ad-title").inner_text().endswith("edited")
        assert page.locator("img").count() == 0 and page.evaluate("window.pwned") is None  # text stayed text
        # keyboard navigation: Alt+L seeks to the next description and focuses its text
        page.evaluate("document.querySelector('video').currentTime = 0")
        page.keyboard.press("Alt+KeyL")
        assert page.evaluate("document.activeElement.id") == "ad-0-text"
        page.evaluate("document.querySelector('#ad-0 details').open = true")
        page.screenshot(path=str(shots / "reloaded.png"), full_page=True)
        # re-export from the page, then hear the exported AD track in step with the video
        page.get_by_role("button", name="Re-export files").click()
        page.wait_for_function("document.querySelector('#export-status').textContent.startsWith('Exported')",
                               timeout=60000)
        page.get_by_label("Exported AD track (as viewers hear it)").check()
        page.evaluate("() => { const v = document.querySelector('video'); v.currentTime = 6.0; return v.play(); }")
        page.wait_for_function("!document.querySelector('#ad-audio').paused", timeout=15000)
        time.sleep(0.5)
        gap = page.evaluate("Math.abs(document.querySelector('#ad-audio').currentTime - "
                            "document.querySelector('video').currentTime)")
        assert gap < 0.35
        assert "Last export: " in page.locator("#ad-1 .fit").text_content()
    assert errors == []
    saved = doc_of(folder)["descriptions"][1]
    assert (saved["text"], saved["start"]) == ('<img src=x onerror=window.pwned=1>mug steams.', 5.9)
    assert (folder / "speech.ad.json.bak").is_file()
    for name in ("playing.png", "saved.png", "reloaded.png"):
        assert (shots / name).stat().st_size > 10_000
    print(f"screenshots in {shots}")
