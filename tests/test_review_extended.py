"""The review page plays extended ADs: the picture is held at each pause, then playback resumes."""

from __future__ import annotations

import json
import shutil
import threading

import pytest

from cinescribe.describe.planner import Slot
from cinescribe.describe.script import AudioDescription
from cinescribe.atomic import write_json
from cinescribe.export.pipeline import ExportConfig
from cinescribe.export.review.server import Review, make_server
from test_mix import make_script
from test_review import CHROMIUM, review_page

PAUSE_AT, PAUSE_S = 4.6, 2.0


@pytest.fixture
def server(speech_video, tmp_path):
    video = tmp_path / "speech.mp4"
    shutil.copyfile(speech_video.path, video)
    info = type(speech_video)(**{**speech_video.__dict__, "path": video})
    path = make_script(info, tmp_path / "speech.ad.json")
    doc = json.loads(path.read_text())
    held = AudioDescription(Slot(len(doc["descriptions"]), PAUSE_AT, PAUSE_AT + PAUSE_S, 6), "A cup of coffee.", [],
                            [], [], extended=True, pause_at=PAUSE_AT, pause_s=PAUSE_S, pause_for=["text"])
    doc["descriptions"].append(held.to_dict())
    write_json(path, doc)
    srv = make_server(Review(tmp_path, formats=("vtt",), cfg=ExportConfig(voice="espeak")), 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


SAMPLE = """() => {
  const v = document.querySelector('video');
  window.samples = [];
  window.sample = () => window.samples.push([performance.now() / 1000, v.currentTime, v.paused,
                                             document.querySelector('#now').textContent]);
  window.sampler = setInterval(window.sample, 25);
  v.currentTime = 3.5;
  return v.play();
}"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/setup.sh installs it)")
def test_playback_holds_the_picture_for_the_pause(server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    errors: list[str] = []
    with review_page(sync_api, server, errors) as page:
        page.wait_for_selector("#ads li.ad >> nth=3")
        assert "extended: the video pauses 2 s" in page.locator("#ad-3 .ad-title").inner_text()
        page.get_by_label("Off (screen readers announce the current description)").check()
        page.evaluate(SAMPLE)
        page.wait_for_function(f"document.querySelector('video').currentTime > {PAUSE_AT + 0.5}", timeout=20000)
        samples = page.evaluate("clearInterval(window.sampler), window.sample(), window.samples")  # ends with now
    assert errors == []
    held = [(w, t, paused, now) for w, t, paused, now in samples if abs(t - PAUSE_AT) < 0.03 and paused]
    assert held, "the video never stopped at the pause point"
    duration = held[-1][0] - held[0][0]
    print(f"held at {held[0][1]:.3f} s for {duration:.2f} s (pause {PAUSE_S} s)")
    assert duration == pytest.approx(PAUSE_S, abs=0.3)  # held for about the pause
    assert all(now == "A cup of coffee." for *_, now in held)  # showing the extended AD
    before = [t for w, t, *_ in samples if w < held[0][0]]
    after = [t for w, t, *_ in samples if w > held[-1][0]]
    assert before and max(before) < PAUSE_AT + 0.06  # it stopped at the pause, not past it
    assert after and after[-1] > PAUSE_AT + 0.5  # and played on from there
    assert min(after) >= PAUSE_AT - 0.03  # without jumping back
