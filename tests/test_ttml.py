"""TTML (W3C DAPT) AD script: well-formed, namespaced, timed, with ducking and speech hints."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from cinescribe.describe.planner import Slot
from cinescribe.describe.script import ADScript, AudioDescription
from cinescribe.export.mix import MixConfig
from cinescribe.export.ttml import DAPT_CONTENT_PROFILE, NS, to_ttml
from cinescribe.export.tts import Spoken
from cinescribe.timeline import Interval

TT = "{%s}" % NS[""]
TTA = "{%s}" % NS["tta"]
DAPTM = "{%s}" % NS["daptm"]
XML = "{http://www.w3.org/XML/1998/namespace}"


def script() -> ADScript:
    return ADScript(
        video={"path": "film.mp4", "duration": 20.0},
        descriptions=[
            AudioDescription(Slot(0, 2.1, 5.0, 7), "A cat appears.", [], [], []),
            AudioDescription(Slot(1, 6.0, 7.0, 2), "", [], [], [], "nothing"),
            AudioDescription(Slot(4, 10.1, 14.0, 9), 'The words "<b> & ]]>" appear.', [], [], []),
        ],
        dialogue=[Interval(0.0, 2.0), Interval(14.1, 16.0)], speech=[], subtitles=0, shots=[], scenes=[],
        models={}, config={}, software={"cinescribe": "0.1.0"},
    )


def seconds(clock: str) -> float:
    h, m, s = clock.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_script_without_speech_is_pre_recording_and_well_formed():
    root = ET.fromstring(to_ttml(script()).encode())
    assert root.tag == TT + "tt"
    assert root.get("{%s}contentProfiles" % NS["ttp"]) == DAPT_CONTENT_PROFILE
    assert root.get(DAPTM + "scriptType") == "preRecording"
    assert root.get(DAPTM + "scriptRepresents") == "visual.nonText"
    assert root.get(XML + "lang") == "en"
    divs = root.findall(f"{TT}body/{TT}div")
    assert [d.get(XML + "id") for d in divs] == ["ad-0", "ad-4"]  # the empty slot is not an event
    spans = [d.find(f"{TT}p/{TT}span") for d in divs]
    assert spans[1].text == 'The words "<b> & ]]>" appear.'  # escaped in the file, intact when parsed
    assert all(s.get(TTA + "speak") == "normal" and s.get(TTA + "pan") == "0" for s in spans)


def test_ducking_animation_and_times():
    cfg = MixConfig(duck_db=-12.0, ramp=0.3)
    root = ET.fromstring(to_ttml(script(), cfg=cfg))
    first = root.find(f"{TT}body/{TT}div")
    # speech from the slot start (2.1 s); the ramp down is cut to the 0.1 s after the dialogue ending at 2.0 s
    assert seconds(first.get("begin")) == pytest.approx(2.0)
    down, up = first.findall(f"{TT}animate")
    assert down.get(TTA + "gain") == "1;0.251" and down.get("fill") == "freeze"
    assert up.get(TTA + "gain") == "0.251;1"
    span = first.find(f"{TT}p/{TT}span")
    assert seconds(span.get("begin")) == pytest.approx(0.1)  # relative to the div
    assert seconds(span.get("end")) == pytest.approx(3.0)
    assert seconds(up.get("begin")) == pytest.approx(3.0)
    assert seconds(first.get("end")) == pytest.approx(5.3)


def test_voiced_timings_and_spoken_text():
    spoken = [
        Spoken(0, 2.4, 2.85, "A cat appears.", "A cat appears.", "fits", 1.0, 1000, np.ones(1200, dtype=np.float32)),
        Spoken(4, 10.1, 3.85, 'The words "<b> & ]]>" appear.', "", "skipped", 1.35, 1000, np.zeros(0, dtype=np.float32)),
    ]
    root = ET.fromstring(to_ttml(script(), spoken, MixConfig(duck_db=-6.0, pan=-0.5), language="fr"))
    assert root.get(DAPTM + "scriptType") == "asRecorded"
    assert root.get(XML + "lang") == "fr"
    divs = root.findall(f"{TT}body/{TT}div")
    assert len(divs) == 1  # the skipped AD is not voiced
    span = divs[0].find(f"{TT}p/{TT}span")
    assert seconds(divs[0].get("begin")) + seconds(span.get("end")) == pytest.approx(3.6)
    assert span.get(TTA + "pan") == "-0.5"
    assert divs[0].find(f"{TT}animate").get(TTA + "gain") == "1;0.501"
