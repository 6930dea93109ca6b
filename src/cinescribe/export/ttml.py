"""TTML audio-description script in the W3C DAPT profile (Dubbing and Audio description Profiles of TTML2).

One ``<div>`` per AD (a DAPT *script event*, ``daptm:represents="visual.nonText"``,
``xml:id="ad-<slot>"``) timed from the start of the programme duck to its end; inside it:

* ``<animate tta:gain="1;g" fill="freeze">`` over the ramp down and ``<animate tta:gain="g;1">``
  over the ramp up: the mixing instruction that ducks the programme audio to the linear gain
  ``g = 10 ** (duck_db / 20)``;
* ``<p><span tta:speak="normal" tta:pan="...">text</span></p>``: the text to voice, timed to
  the speech, with the pan of the AD voice.

Child times are relative to the ``div``'s begin (TTML's default ``par`` time container); all
times are clock times ``HH:MM:SS.mmm`` on the media time base.  The document declares the
DAPT content profile, ``daptm:scriptRepresents="visual.nonText"`` and
``daptm:scriptType`` ``preRecording`` (a script to be voiced) or ``asRecorded`` (when the
timings are those of the voiced audio this export wrote).

An extended AD (spoken while the picture is paused) is a ``div`` timed over its pause, with
``cs:pauseAt`` and ``cs:pauseDuration`` (seconds; namespace ``urn:cinescribe:extended-ad``) and a
``ttm:desc`` saying so: a player pauses the programme at ``pauseAt`` while it speaks.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Sequence

from ..describe.script import ADScript
from ..timeline import Interval
from .cuetext import plain
from .mix import MixConfig, duck_spans, voiced_spans
from .timecodes import vtt_time
from .tts import Spoken

NS = {
    "": "http://www.w3.org/ns/ttml",
    "ttp": "http://www.w3.org/ns/ttml#parameter",
    "tta": "http://www.w3.org/ns/ttml#audio",
    "ttm": "http://www.w3.org/ns/ttml#metadata",
    "daptm": "http://www.w3.org/ns/ttml/profile/dapt#metadata",
    "cs": "urn:cinescribe:extended-ad",
}
DAPT_CONTENT_PROFILE = "http://www.w3.org/ns/ttml/profile/dapt1.0/content"
XML_NS = "http://www.w3.org/XML/1998/namespace"


def _q(name: str) -> str:
    prefix, _, local = name.rpartition(":")
    if prefix == "xml":
        return f"{{{XML_NS}}}{local}"
    return f"{{{NS[prefix]}}}{local}"


@dataclass(frozen=True)
class _Event:
    index: int
    text: str
    speech_start: float
    speech_end: float
    ramp_in: float
    ramp_out: float


def _events(script: ADScript, spoken: Sequence[Spoken] | None, cfg: MixConfig) -> list[_Event]:
    if spoken is None:  # not voiced: each AD is timed to its whole slot
        texts = [(d.slot.index, d.text) for d in script.spoken]
        speech = [Interval(d.slot.start, d.slot.end) for d in script.spoken]
    else:
        texts = [(s.index, s.spoken_text) for s in spoken if s.duration > 0]
        speech = voiced_spans(spoken)
    ducks = duck_spans(speech, script.dialogue, cfg.ramp)
    events = [_Event(i, text, d.start, d.end, d.ramp_in, d.ramp_out) for (i, text), d in zip(texts, ducks)]
    done = {e.index for e in events}
    events += [_Event(d.slot.index, d.text, d.pause_at, d.pause_at + d.pause_s, 0.0, 0.0) for d in script.spoken
               if d.extended and d.pause_at is not None and d.slot.index not in done]
    return sorted(events, key=lambda e: (e.speech_start, e.index))


def _gain(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if value != 1 else "1"


def to_ttml(script: ADScript, spoken: Sequence[Spoken] | None = None, cfg: MixConfig = MixConfig(),
            language: str = "en") -> str:
    """The script as a DAPT TTML document; ``spoken`` (from :mod:`.tts`) gives voiced text and timings."""
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    g = _gain(10.0 ** (cfg.duck_db / 20.0))
    tt = ET.Element(_q(":tt"), {
        _q("ttp:contentProfiles"): DAPT_CONTENT_PROFILE,
        _q("ttp:timeBase"): "media",
        _q("xml:lang"): language,
        _q("daptm:langSrc"): language,
        _q("daptm:scriptRepresents"): "visual.nonText",
        _q("daptm:scriptType"): "asRecorded" if spoken is not None else "preRecording",
    })
    head = ET.SubElement(tt, _q(":head"))
    meta = ET.SubElement(head, _q(":metadata"))
    ET.SubElement(meta, _q("ttm:title")).text = f"Audio description of {script.video.get('path', 'the programme')}"
    ET.SubElement(meta, _q("ttm:desc")).text = (
        f"Written by cinescribe {script.software.get('cinescribe', '')}; programme ducked by {cfg.duck_db:g} dB "
        f"under each description").replace("  ", " ")
    body = ET.SubElement(tt, _q(":body"))
    extended = {d.slot.index: d for d in script.spoken if d.extended and d.pause_at is not None}
    for e in _events(script, spoken, cfg):
        begin, end = e.speech_start - e.ramp_in, e.speech_end + e.ramp_out
        div = ET.SubElement(body, _q(":div"), {
            _q("xml:id"): f"ad-{e.index}", "begin": vtt_time(begin), "end": vtt_time(end),
            _q("daptm:represents"): "visual.nonText",
        })
        if e.index in extended:
            d = extended[e.index]
            div.set(_q("cs:pauseAt"), f"{d.pause_at:g}")
            div.set(_q("cs:pauseDuration"), f"{d.pause_s:g}")
            ET.SubElement(div, _q("ttm:desc")).text = (f"extended audio description: pause the programme at "
                                                       f"{vtt_time(d.pause_at)} for {d.pause_s:g} s")
        if e.ramp_in > 0:
            ET.SubElement(div, _q(":animate"), {"begin": vtt_time(0), "end": vtt_time(e.ramp_in),
                                                _q("tta:gain"): f"1;{g}", "fill": "freeze"})
        ET.SubElement(div, _q(":animate"), {"begin": vtt_time(e.speech_end - begin), "end": vtt_time(end - begin),
                                            _q("tta:gain"): f"{g};1"})
        p = ET.SubElement(div, _q(":p"))
        span = ET.SubElement(p, _q(":span"), {"begin": vtt_time(e.ramp_in), "end": vtt_time(e.speech_end - begin),
                                              _q("tta:speak"): "normal", _q("tta:pan"): f"{cfg.pan:g}"})
        span.text = plain(e.text)
    ET.indent(tt, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tt, encoding="unicode") + "\n"
